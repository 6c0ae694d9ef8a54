"""Reads of the training app: `engine` is the compliance engine (every pair's status, from the
pure rules of training.compliance, and its one sanctioned SQL twin for figures); `compliance` and
`records` are the reads behind the pages of those two areas."""
