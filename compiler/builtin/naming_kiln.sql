{#- A kiln project's defaults: the custom schema as written, and no
    database (its relations are schema.name in the target's). -#}
{% macro default__generate_schema_name(custom_schema_name, node) -%}
{%- if custom_schema_name is none -%}{{ target.schema }}
{%- else -%}{{ custom_schema_name | trim }}
{%- endif -%}
{%- endmacro %}

{% macro default__generate_database_name(custom_database_name=none, node=none) -%}
{%- endmacro %}
