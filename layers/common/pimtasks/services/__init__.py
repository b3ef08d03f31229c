"""Services: business logic. They never import boto3; they receive adapters."""
