"""The Troposphere builders of the stacks' templates (the `build` extra), and the CreateTable request
taken from the built template."""
