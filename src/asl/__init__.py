"""asl: run Amazon States Language state machines in-process, as AWS Step Functions runs them."""
