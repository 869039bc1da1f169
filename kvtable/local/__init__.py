"""Local engines for tests, the demo and benchmarks: DynamoDB Local and moto's server."""
