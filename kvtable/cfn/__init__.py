"""CloudFormation templates as plain data: logical names, parsing, intrinsics and their evaluation."""
