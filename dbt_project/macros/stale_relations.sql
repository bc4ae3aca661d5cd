{#
    After a build, the relations of the project's schemas that no node of the project is (a model
    renamed or removed, a mart no longer declared) are dropped: nobody reads them by mistake, and
    publish, which copies the `marts` schema, copies only the marts the project declares. The
    graph is the one this build ran with (every node, whatever was selected); only the schemas
    the project's models, seeds and snapshots are built in are looked at (never raw or raw_meta).
    Run as the project's `on-run-end` hook, on `dbt build` and `dbt run` only.
#}
{% macro drop_stale_relations() %}
    {%- set drops = [] %}
    {%- if execute and flags.WHICH in ('build', 'run') %}
        {%- set declared = {} %}
        {%- for node in graph.nodes.values()
            if node.resource_type in ('model', 'seed', 'snapshot') and node.config.materialized != 'ephemeral' %}
            {%- set key = (node.database ~ '.' ~ node.schema) | lower %}
            {%- if key not in declared %}
                {%- do declared.update({key: {'database': node.database, 'schema': node.schema, 'names': []}}) %}
            {%- endif %}
            {%- do declared[key]['names'].append((node.alias or node.name) | lower) %}
        {%- endfor %}
        {%- for schema in declared.values() %}
            {%- set where = api.Relation.create(database=schema.database, schema=schema.schema) %}
            {%- for row in list_relations_without_caching(where) if (row['name'] | lower) not in schema.names %}
                {%- set relation = api.Relation.create(
                    database=row['database'], schema=row['schema'], identifier=row['name'], type=row['type']) %}
                {%- do log('dropping ' ~ relation ~ ': no model, seed or snapshot of the project is it', info=true) %}
                {%- do drops.append('drop ' ~ row['type'] ~ ' if exists ' ~ relation ~ ' cascade') %}
            {%- endfor %}
        {%- endfor %}
    {%- endif %}
    {#- the hook's statements, committed by the hook itself (dbt rolls back what an on-run-end hook
        leaves open); nothing to drop is a no-op -#}
    {{ (drops + ['commit']) | join(';\n') if drops else 'select 1 as no_stale_relations' }}
{% endmacro %}
