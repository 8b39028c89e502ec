"""Creative testing results (issue 17): statistics, verdicts, the simulator, the results and
creative-insights pages, and the learnings the planner reads."""
