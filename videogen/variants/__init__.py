"""Creative variants: 2–5 renders of one brief that differ in one factor (issue 17)."""
