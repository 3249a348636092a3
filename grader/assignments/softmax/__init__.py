"""The CS231n Softmax classifier assignment: reference, starter, rubric, known mistakes."""
