"""Assignment packs: one folder per assignment, selected by the rubric."""
