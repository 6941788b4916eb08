{#- dbt's naming macros (get_custom_name in dbt's global project): the
    schema, alias and database of every model, seed, snapshot and test.
    kiln names nodes in Go while no project overrides them; a project's
    generate_schema_name (or its default__/<adapter>__generate_schema_name,
    found through dispatch) is rendered per node instead, and may call
    these. -#}
{% macro generate_schema_name(custom_schema_name=none, node=none) -%}
{{ return(adapter.dispatch('generate_schema_name', 'dbt')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
{{ return(adapter.dispatch('generate_alias_name', 'dbt')(custom_alias_name, node)) }}
{%- endmacro %}

{% macro generate_database_name(custom_database_name=none, node=none) -%}
{{ return(adapter.dispatch('generate_database_name', 'dbt')(custom_database_name, node)) }}
{%- endmacro %}

{% macro default__generate_alias_name(custom_alias_name=none, node=none) -%}
{%- if custom_alias_name -%}{{ custom_alias_name | trim }}
{%- elif node.version -%}{{ return(node.name ~ "_v" ~ (node.version | replace(".", "_"))) }}
{%- else -%}{{ node.name }}
{%- endif -%}
{%- endmacro %}

{#- The target's schema, or in production (target name prod) the custom
    schema as written. -#}
{% macro generate_schema_name_for_env(custom_schema_name, node) -%}
{%- if target.name == 'prod' and custom_schema_name is not none -%}{{ custom_schema_name | trim }}
{%- else -%}{{ target.schema }}
{%- endif -%}
{%- endmacro %}
