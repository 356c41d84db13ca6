"""Project -> Python source text."""
