"""Classifiers you implement for the assignment."""
