"""Bulk work shared by many workers under an existing scheduler (AWS Batch array jobs, Kubernetes
indexed Jobs): which share a worker has (`shares`), the parts of a job claimed in the table with a lease
(`leases`), and a file cut into line ranges for N loaders (`file_ranges`, `shared_load`)."""
