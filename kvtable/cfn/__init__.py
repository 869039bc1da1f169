"""CloudFormation templates for kvtable, built with Troposphere."""
