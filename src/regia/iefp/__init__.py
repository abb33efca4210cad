"""IeFP paths, work-based learning placements, apprenticeship and the matching of students to places."""
