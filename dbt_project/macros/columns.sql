{#
    Every column of `relation` (a model's, in its order), except those in `replacements` (column
    -> SQL expression), which are selected as the expression under the column's name: a portable
    `select * replace (...)`, so the rows it selects union with the relation's own. Where the
    relation's columns are not known (parsing, linting before a build) it selects `*`.
#}
{% macro columns_replacing(relation, replacements) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    {%- if not columns -%}
        *
    {%- else -%}
        {%- set selected = [] -%}
        {%- for column in columns -%}
            {%- if column.name in replacements -%}
                {%- do selected.append(replacements[column.name] ~ ' as ' ~ adapter.quote(column.name)) -%}
            {%- else -%}
                {%- do selected.append(adapter.quote(column.name)) -%}
            {%- endif -%}
        {%- endfor -%}
        {{ selected | join(',\n    ') }}
    {%- endif -%}
{%- endmacro %}
