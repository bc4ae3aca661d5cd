"""Leadflow: the RevOps warehouse's product code (extraction, the night, quality, reports).

The files Leadflow writes hold personal data (raw payloads carry names and e-mails; logs and
reports carry record ids): whatever a process that imports it creates - warehouses, reports, data
docs, logs, and the dbt it starts - is readable by its owner only.
"""

import os

os.umask(0o077)
