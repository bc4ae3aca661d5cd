{#
    The control registry (seed `data_quality_controls`) as rows, at execution time, each checked
    against the contract of the model it names: the record id and both flags must be columns of
    that model's yml, so a misspelt flag fails the build with a message instead of a control that
    silently passes with an empty population.
#}
{% macro registered_controls() %}
    {%- set registry = ref("data_quality_controls") -%}
    {#- nothing to read while parsing, or where the seed is not loaded (sqlfluff's compile) -#}
    {%- if not execute or load_relation(registry) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select control_name, model, record_id, population_flag, failing_flag from "
        ~ registry.render() ~ " order by control_name"
    ).rows -%}
    {%- set models = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- do models.update({node.name: node}) -%}
    {%- endfor -%}
    {%- for row in rows -%}
        {%- set node = models.get(row.model) -%}
        {%- if node is none -%}
            {{ exceptions.raise_compiler_error(
                "control " ~ row.control_name ~ ": model " ~ row.model ~ " does not exist") }}
        {%- endif -%}
        {%- for column in [row.record_id, row.population_flag, row.failing_flag] if column -%}
            {%- if column not in node.columns -%}
                {{ exceptions.raise_compiler_error(
                    "control " ~ row.control_name ~ ": " ~ column ~ " is not a column in the contract of "
                    ~ row.model ~ " (add it to the model and its yml, or correct the registry row)") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(rows) }}
{% endmacro %}
