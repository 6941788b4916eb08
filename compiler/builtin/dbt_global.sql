{#- The macros of dbt's global project that packages call (audit_helper,
    codegen, dbt_expectations, dbt_date), written by kiln from dbt's
    documented behaviour, with dbt's names and signatures. Those that
    dbt dispatches dispatch here too (adapter.dispatch(name, 'dbt')): a
    project's duckdb__, postgres__ or default__ macro replaces kiln's. -#}

{#- date_spine(datepart, start_date, end_date): a query with one column,
    date_<datepart>, one row per period from start_date (a SQL
    expression) on, as many as datediff(start_date, end_date, datepart)
    counts: end_date itself is not included. The periods are timestamps,
    start_date + n datepart, as dateadd gives them. -#}
{% macro date_spine(datepart, start_date, end_date) %}{{ return(adapter.dispatch('date_spine', 'dbt')(datepart, start_date, end_date)) }}{% endmacro %}
{% macro default__date_spine(datepart, start_date, end_date) -%}
select {{ dbt.dateadd(datepart, 'kiln_spine.period_index', start_date) }} as date_{{ datepart }}
from (select unnest(range(0, cast({{ dbt.datediff(start_date, end_date, datepart) }} as bigint))) as period_index) as kiln_spine
{%- endmacro %}
{% macro postgres__date_spine(datepart, start_date, end_date) -%}
select {{ dbt.dateadd(datepart, 'kiln_spine.period_index', start_date) }} as date_{{ datepart }}
from generate_series(0, cast({{ dbt.datediff(start_date, end_date, datepart) }} as bigint) - 1) as kiln_spine(period_index)
{%- endmacro %}

{#- get_empty_subquery_sql(select_sql, select_sql_header=none): a query
    with the columns of select_sql and no row. -#}
{% macro get_empty_subquery_sql(select_sql, select_sql_header=none) %}{{ return(adapter.dispatch('get_empty_subquery_sql', 'dbt')(select_sql, select_sql_header)) }}{% endmacro %}
{% macro default__get_empty_subquery_sql(select_sql, select_sql_header=none) -%}
{%- if select_sql_header is not none -%}{{ select_sql_header }}
{% endif -%}
select * from (
{{ select_sql }}
) as kiln_empty_subquery
where false
limit 0
{%- endmacro %}

{#- get_columns_in_query(select_sql): the names of the columns select_sql
    returns, read from the database at run time; an empty list while
    kiln compiles (dbt's parse), when execute is false. -#}
{% macro get_columns_in_query(select_sql) %}{{ return(adapter.dispatch('get_columns_in_query', 'dbt')(select_sql)) }}{% endmacro %}
{% macro default__get_columns_in_query(select_sql) -%}
{%- set result = run_query(get_empty_subquery_sql(select_sql)) -%}
{%- if result is none -%}{{ return([]) }}{%- endif -%}
{{ return(result.column_names | list) }}
{%- endmacro %}

{#- get_columns_in_relation(relation): adapter.get_columns_in_relation as
    a macro (dbt.get_columns_in_relation): the relation's Columns. -#}
{% macro get_columns_in_relation(relation) %}{{ return(adapter.dispatch('get_columns_in_relation', 'dbt')(relation)) }}{% endmacro %}
{% macro default__get_columns_in_relation(relation) -%}
{{ return(adapter.get_columns_in_relation(relation)) }}
{%- endmacro %}

{#- format_column(column): {name, data_type, formatted} of a Column, as a
    contract's DDL writes it: formatted is the lowered name, a space and
    the data type. format_columns(columns) joins the formatted columns
    with commas. -#}
{% macro format_column(column) %}{{ return(adapter.dispatch('format_column', 'dbt')(column)) }}{% endmacro %}
{% macro default__format_column(column) -%}
{{ return({'name': column.name, 'data_type': column.dtype, 'formatted': column.column | lower ~ ' ' ~ column.dtype}) }}
{%- endmacro %}
{% macro format_columns(columns) -%}
{%- set out = [] -%}
{%- for column in columns -%}{%- do out.append(adapter.dispatch('format_column', 'dbt')(column)['formatted']) -%}{%- endfor -%}
{{ return(out | join(', ')) }}
{%- endmacro %}

{#- make_temp_relation(base_relation, suffix='__dbt_tmp'): base_relation
    with suffix appended to its identifier (same database and schema; on
    DuckDB and PostgreSQL, their adapters' own below). -#}
{% macro make_temp_relation(base_relation, suffix='__dbt_tmp') %}{{ return(adapter.dispatch('make_temp_relation', 'dbt')(base_relation, suffix)) }}{% endmacro %}
{% macro default__make_temp_relation(base_relation, suffix) -%}
{{ return(base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix})) }}
{%- endmacro %}
{#- duckdb__make_temp_relation(base_relation, suffix): dbt-duckdb's
    (dbt/include/duckdb/macros/adapters.sql): the identifier with suffix
    and py_current_timestring() (datetime.now(), %Y%m%d%H%M%S%f)
    appended, without database and schema, the name of a temporary
    table. -#}
{% macro duckdb__make_temp_relation(base_relation, suffix) -%}
{%- set identifier = base_relation.identifier ~ suffix ~ modules.datetime.datetime.now().strftime('%Y%m%d%H%M%S%f') -%}
{{ return(base_relation.incorporate(path={'identifier': identifier, 'schema': none, 'database': none})) }}
{%- endmacro %}
{#- postgres__make_temp_relation(base_relation, suffix): dbt-postgres's
    (macros/adapters.sql, postgres__make_relation_with_suffix with
    dstring=True): the identifier with suffix and the time (HHMMSS and
    microseconds) appended, cut so that it fits PostgreSQL's 63
    characters, without database and schema (a temporary table lives in
    its session's own schema). -#}
{% macro postgres__make_temp_relation(base_relation, suffix) -%}
{%- set suffix = suffix ~ modules.datetime.datetime.now().strftime('%H%M%S%f') -%}
{%- if suffix | length > 63 -%}
{%- do exceptions.raise_compiler_error('Relation suffix is too long (' ~ suffix | length ~ ' characters). Maximum length is 63 characters.') -%}
{%- endif -%}
{%- set identifier = base_relation.identifier[:63 - suffix | length] ~ suffix -%}
{{ return(base_relation.incorporate(path={'identifier': identifier, 'schema': none, 'database': none})) }}
{%- endmacro %}

{#- drop_relation_if_exists(relation): drops relation, a Relation or None
    (load_relation's "does not exist"), at run time. -#}
{% macro drop_relation_if_exists(relation) -%}
{%- if relation is not none -%}{%- do adapter.drop_relation(relation) -%}{%- endif -%}
{%- endmacro %}

{#- load_cached_relation(relation): the relation as the database has it
    (with its type), None when it does not exist or while compiling. -#}
{% macro load_cached_relation(relation) -%}
{{ return(load_relation(relation)) }}
{%- endmacro %}

{#- should_full_refresh(): the node's full_refresh config when it is set,
    else flags.FULL_REFRESH. -#}
{% macro should_full_refresh() -%}
{%- set configured = config.get('full_refresh') -%}
{%- if configured is none -%}{%- set configured = flags.FULL_REFRESH -%}{%- endif -%}
{{ return(configured) }}
{%- endmacro %}

{#- create_schema(relation): creates the schema of relation (its database
    and schema) when it does not exist, at run time. -#}
{% macro create_schema(relation) %}{{ return(adapter.dispatch('create_schema', 'dbt')(relation)) }}{% endmacro %}
{% macro default__create_schema(relation) -%}
{%- call statement('create_schema') -%}
create schema if not exists {{ relation.without_identifier() }}
{%- endcall -%}
{%- endmacro %}

{#- get_where_subquery(relation): what a generic test reads: relation, or
    the subquery of its rows that the test's where config keeps. -#}
{% macro get_where_subquery(relation) %}{{ return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) }}{% endmacro %}
{% macro default__get_where_subquery(relation) -%}
{%- set where = config.get('where') -%}
{%- if where -%}{{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}{%- endif -%}
{{ return(relation) }}
{%- endmacro %}

{#- get_create_table_as_sql(temporary, relation, sql) and
    create_table_as(temporary, relation, compiled_code): the statement
    that creates relation as the result of sql; a temporary table is
    named by its identifier alone (temporary tables have their own
    schema). -#}
{% macro get_create_table_as_sql(temporary, relation, sql) %}{{ return(adapter.dispatch('get_create_table_as_sql', 'dbt')(temporary, relation, sql)) }}{% endmacro %}
{% macro default__get_create_table_as_sql(temporary, relation, sql) -%}
{{ return(create_table_as(temporary, relation, sql)) }}
{%- endmacro %}
{% macro create_table_as(temporary, relation, compiled_code, language='sql') -%}
{%- if language != 'sql' -%}{{ exceptions.raise_compiler_error("create_table_as: kiln runs SQL models only, not " ~ language) }}{%- endif -%}
{{ return(adapter.dispatch('create_table_as', 'dbt')(temporary, relation, compiled_code)) }}
{%- endmacro %}
{% macro default__create_table_as(temporary, relation, sql) -%}
create {% if temporary %}temporary {% endif %}table {{ relation.include(database=(not temporary), schema=(not temporary)) }} as (
{{ sql }}
)
{%- endmacro %}
