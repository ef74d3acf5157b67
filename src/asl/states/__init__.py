"""One module per kind of state work: basic (Pass, Choice, Wait, Succeed, Fail), task, parallel, map."""
