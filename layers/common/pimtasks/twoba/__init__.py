"""Import 2BA: product and trade-item data from the Product Data OpenAPI (2BA, Artikelbeheer Select and other
implementers of the same Preview3 specs), one cursor scan per supplier GLN, joined into catalog products."""
