-- The `source_aliases` seed, ready to join. CSV loaders (agate, used for seeds on PostgreSQL) read
-- the word "null" as an empty cell, so an empty alias here is the unknown token "null".
select
    canonical_source,
    coalesce(source_alias, 'null') as source_alias
from {{ ref('source_aliases') }}
