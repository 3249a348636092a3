"""Code that runs inside the sandboxed child process, next to student code.

Nothing here imports the parent side of the grader, and nothing here ever sees
an expected value: the child receives inputs, calls student code, and writes
what came back as ``.npz`` arrays and JSON for the parent to judge.
"""
