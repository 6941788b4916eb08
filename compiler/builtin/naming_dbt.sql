{#- A dbt project's defaults: <target schema>_<custom schema>, and the
    target's database. -#}
{% macro default__generate_schema_name(custom_schema_name, node) -%}
{%- if custom_schema_name is none -%}{{ target.schema }}
{%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}
{%- endif -%}
{%- endmacro %}

{% macro default__generate_database_name(custom_database_name=none, node=none) -%}
{%- if custom_database_name is none -%}{{ target.database }}
{%- else -%}{{ custom_database_name | trim }}
{%- endif -%}
{%- endmacro %}
