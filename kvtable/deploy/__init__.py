"""Deploying the stacks safely: local validation, a plan from the templates, change sets, events."""
