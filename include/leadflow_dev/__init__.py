"""Developer tools, not shipped in the product image: the Salesforce/Marketo sandbox, the fixture
generator, the demo, ``make night`` and ``make bench``."""
