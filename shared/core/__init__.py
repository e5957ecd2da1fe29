"""What every layer uses: the caller and its rights, the page query and page helper, bulk results,
the logger, one cache of AWS clients. Below the domains and `shared.db`; imports nothing of them."""
