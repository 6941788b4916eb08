{#- dbt's cross-database macros (https://docs.getdbt.com/reference/dbt-jinja-functions/cross-database-macros),
    written for DuckDB by kiln. Each one dispatches as dbt's do
    (adapter.dispatch(name, 'dbt')): a project's duckdb__<name> or
    default__<name> replaces the one here. -#}

{% macro any_value(expression) %}{{ return(adapter.dispatch('any_value', 'dbt')(expression)) }}{% endmacro %}
{% macro default__any_value(expression) -%} any_value({{ expression }}) {%- endmacro %}

{% macro bool_or(expression) %}{{ return(adapter.dispatch('bool_or', 'dbt')(expression)) }}{% endmacro %}
{% macro default__bool_or(expression) -%} bool_or({{ expression }}) {%- endmacro %}

{% macro cast(field, type) %}{{ return(adapter.dispatch('cast', 'dbt')(field, type)) }}{% endmacro %}
{% macro default__cast(field, type) -%} cast({{ field }} as {{ type }}) {%- endmacro %}

{% macro safe_cast(field, type) %}{{ return(adapter.dispatch('safe_cast', 'dbt')(field, type)) }}{% endmacro %}
{% macro default__safe_cast(field, type) -%} try_cast({{ field }} as {{ type }}) {%- endmacro %}

{% macro cast_bool_to_text(field) %}{{ return(adapter.dispatch('cast_bool_to_text', 'dbt')(field)) }}{% endmacro %}
{% macro default__cast_bool_to_text(field) -%} cast({{ field }} as varchar) {%- endmacro %}

{% macro concat(fields) %}{{ return(adapter.dispatch('concat', 'dbt')(fields)) }}{% endmacro %}
{% macro default__concat(fields) -%} concat({{ fields | join(', ') }}) {%- endmacro %}

{% macro hash(field) %}{{ return(adapter.dispatch('hash', 'dbt')(field)) }}{% endmacro %}
{% macro default__hash(field) -%} md5(cast({{ field }} as varchar)) {%- endmacro %}

{% macro length(expression) %}{{ return(adapter.dispatch('length', 'dbt')(expression)) }}{% endmacro %}
{% macro default__length(expression) -%} length({{ expression }}) {%- endmacro %}

{% macro position(substring_text, string_text) %}{{ return(adapter.dispatch('position', 'dbt')(substring_text, string_text)) }}{% endmacro %}
{% macro default__position(substring_text, string_text) -%} position({{ substring_text }} in {{ string_text }}) {%- endmacro %}

{% macro replace(field, old_chars, new_chars) %}{{ return(adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars)) }}{% endmacro %}
{% macro default__replace(field, old_chars, new_chars) -%} replace({{ field }}, {{ old_chars }}, {{ new_chars }}) {%- endmacro %}

{% macro right(string_text, length_expression) %}{{ return(adapter.dispatch('right', 'dbt')(string_text, length_expression)) }}{% endmacro %}
{% macro default__right(string_text, length_expression) -%} right({{ string_text }}, {{ length_expression }}) {%- endmacro %}

{% macro split_part(string_text, delimiter_text, part_number) %}{{ return(adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number)) }}{% endmacro %}
{% macro default__split_part(string_text, delimiter_text, part_number) -%} split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }}) {%- endmacro %}

{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) %}{{ return(adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num)) }}{% endmacro %}
{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{%- if limit_num -%}
array_to_string(list_slice(list({{ measure }} {{ order_by_clause or '' }}), 1, {{ limit_num }}), {{ delimiter_text }})
{%- else -%}
string_agg({{ measure }}, {{ delimiter_text }} {{ order_by_clause or '' }})
{%- endif -%}
{%- endmacro %}

{% macro string_literal(value) %}{{ return(adapter.dispatch('string_literal', 'dbt')(value)) }}{% endmacro %}
{% macro default__string_literal(value) -%} '{{ value }}' {%- endmacro %}

{% macro escape_single_quotes(expression) %}{{ return(adapter.dispatch('escape_single_quotes', 'dbt')(expression)) }}{% endmacro %}
{% macro default__escape_single_quotes(expression) -%} {{ expression | replace("'", "''") }} {%- endmacro %}

{% macro except() %}{{ return(adapter.dispatch('except', 'dbt')()) }}{% endmacro %}
{% macro default__except() -%} except {%- endmacro %}

{% macro intersect() %}{{ return(adapter.dispatch('intersect', 'dbt')()) }}{% endmacro %}
{% macro default__intersect() -%} intersect {%- endmacro %}

{% macro equals(expr1, expr2) %}{{ return(adapter.dispatch('equals', 'dbt')(expr1, expr2)) }}{% endmacro %}
{% macro default__equals(expr1, expr2) -%} (({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null)) {%- endmacro %}

{% macro current_timestamp() %}{{ return(adapter.dispatch('current_timestamp', 'dbt')()) }}{% endmacro %}
{% macro default__current_timestamp() -%} now() {%- endmacro %}
{% macro current_timestamp_backcompat() %}{{ return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) }}{% endmacro %}
{% macro default__current_timestamp_backcompat() -%} current_timestamp::timestamp {%- endmacro %}
{% macro current_timestamp_in_utc_backcompat() %}{{ return(adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')()) }}{% endmacro %}
{% macro default__current_timestamp_in_utc_backcompat() -%} (now() at time zone 'utc')::timestamp {%- endmacro %}

{% macro date(year, month, day) %}{{ return(adapter.dispatch('date', 'dbt')(year, month, day)) }}{% endmacro %}
{% macro default__date(year, month, day) -%} make_date({{ year }}, {{ month }}, {{ day }}) {%- endmacro %}

{% macro date_trunc(datepart, date) %}{{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}{% endmacro %}
{% macro default__date_trunc(datepart, date) -%} date_trunc('{{ datepart }}', {{ date }}) {%- endmacro %}

{% macro dateadd(datepart, interval, from_date_or_timestamp) %}{{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}{% endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
cast({{ from_date_or_timestamp }} as timestamp) + ((interval '1 {{ datepart }}') * ({{ interval }}))
{%- endmacro %}

{#- datediff counts the boundaries of datepart crossed between the two
    dates, as dbt's Postgres implementation does; DuckDB's date_diff counts
    them too, weeks from Sunday as in dbt. -#}
{% macro datediff(first_date, second_date, datepart) %}{{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}{% endmacro %}
{% macro default__datediff(first_date, second_date, datepart) -%}
{%- if datepart == 'week' -%}
((cast({{ second_date }} as date) - date_part('dow', cast({{ second_date }} as date))::integer) - (cast({{ first_date }} as date) - date_part('dow', cast({{ first_date }} as date))::integer)) // 7
{%- else -%}
date_diff('{{ datepart }}', cast({{ first_date }} as timestamp), cast({{ second_date }} as timestamp))
{%- endif -%}
{%- endmacro %}

{% macro last_day(date, datepart) %}{{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}{% endmacro %}
{% macro default__last_day(date, datepart) -%}
cast({{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }} as date)
{%- endmacro %}

{% macro array_construct(inputs=[], data_type='integer') %}{{ return(adapter.dispatch('array_construct', 'dbt')(inputs, data_type)) }}{% endmacro %}
{% macro default__array_construct(inputs, data_type) -%}
{%- if inputs | length > 0 -%} [ {{ inputs | join(' , ') }} ] {%- else -%} cast([] as {{ data_type }}[]) {%- endif -%}
{%- endmacro %}
{% macro array_append(array, new_element) %}{{ return(adapter.dispatch('array_append', 'dbt')(array, new_element)) }}{% endmacro %}
{% macro default__array_append(array, new_element) -%} list_append({{ array }}, {{ new_element }}) {%- endmacro %}
{% macro array_concat(array_1, array_2) %}{{ return(adapter.dispatch('array_concat', 'dbt')(array_1, array_2)) }}{% endmacro %}
{% macro default__array_concat(array_1, array_2) -%} list_concat({{ array_1 }}, {{ array_2 }}) {%- endmacro %}

{% macro type_string() %}{{ return(adapter.dispatch('type_string', 'dbt')()) }}{% endmacro %}
{#- dbt's default__type_string: api.Column.translate_type("string"), TEXT
    on dbt-duckdb and dbt-postgres (DuckDB's VARCHAR, PostgreSQL's text). -#}
{% macro default__type_string() -%} {{ return(api.Column.translate_type("string")) }} {%- endmacro %}
{% macro type_timestamp() %}{{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}{% endmacro %}
{% macro default__type_timestamp() -%} timestamp {%- endmacro %}
{% macro type_float() %}{{ return(adapter.dispatch('type_float', 'dbt')()) }}{% endmacro %}
{% macro default__type_float() -%} double {%- endmacro %}
{% macro type_numeric() %}{{ return(adapter.dispatch('type_numeric', 'dbt')()) }}{% endmacro %}
{% macro default__type_numeric() -%} numeric(28,6) {%- endmacro %}
{% macro type_bigint() %}{{ return(adapter.dispatch('type_bigint', 'dbt')()) }}{% endmacro %}
{% macro default__type_bigint() -%} bigint {%- endmacro %}
{% macro type_int() %}{{ return(adapter.dispatch('type_int', 'dbt')()) }}{% endmacro %}
{% macro default__type_int() -%} integer {%- endmacro %}
{% macro type_boolean() %}{{ return(adapter.dispatch('type_boolean', 'dbt')()) }}{% endmacro %}
{% macro default__type_boolean() -%} boolean {%- endmacro %}

{% macro generate_series(upper_bound) %}{{ return(adapter.dispatch('generate_series', 'dbt')(upper_bound)) }}{% endmacro %}
{% macro default__generate_series(upper_bound) -%}
select generate_series as generated_number from generate_series(1, {{ upper_bound }})
{%- endmacro %}

{#- PostgreSQL's forms (adapter.dispatch looks for postgres__ before
    default__ when the target's type is postgres), where DuckDB's above
    are not PostgreSQL: no try_cast (a cast that fails is an error, as
    dbt-postgres's safe_cast is a cast), no any_value before PostgreSQL 16,
    no date_diff, arrays rather than lists, no DOUBLE type name. -#}
{% macro postgres__safe_cast(field, type) -%} cast({{ field }} as {{ type }}) {%- endmacro %}
{% macro postgres__any_value(expression) -%} min({{ expression }}) {%- endmacro %}
{% macro postgres__type_float() -%} float {%- endmacro %}
{% macro postgres__array_append(array, new_element) -%} array_append({{ array }}, {{ new_element }}) {%- endmacro %}
{% macro postgres__array_concat(array_1, array_2) -%} array_cat({{ array_1 }}, {{ array_2 }}) {%- endmacro %}
{% macro postgres__array_construct(inputs, data_type) -%}
{%- if inputs | length > 0 -%} array[ {{ inputs | join(' , ') }} ] {%- else -%} array[]::{{ data_type }}[] {%- endif -%}
{%- endmacro %}
{% macro postgres__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{%- if limit_num -%}
array_to_string((array_agg({{ measure }} {{ order_by_clause or '' }}))[1:{{ limit_num }}], {{ delimiter_text }})
{%- else -%}
string_agg({{ measure }}, {{ delimiter_text }} {{ order_by_clause or '' }})
{%- endif -%}
{%- endmacro %}
{#- datediff: the boundaries of datepart crossed between the two dates, as
    default__datediff counts them: calendar fields for year, quarter and
    month; for the others, the difference of the two truncated timestamps
    in whole units (timestamps without time zone: no daylight saving). -#}
{% macro postgres__datediff(first_date, second_date, datepart) -%}
{%- set a = 'cast(' ~ first_date ~ ' as timestamp)' -%}
{%- set b = 'cast(' ~ second_date ~ ' as timestamp)' -%}
{%- set per_year = {'quarter': 4, 'month': 12} -%}
{%- set seconds = {'day': 86400, 'hour': 3600, 'minute': 60, 'second': 1, 'millisecond': 0.001, 'microsecond': 0.000001} -%}
{%- set trunc = {'millisecond': 'milliseconds', 'microsecond': 'microseconds'} -%}
{%- if datepart == 'week' -%}
((cast({{ second_date }} as date) - date_part('dow', cast({{ second_date }} as date))::integer) - (cast({{ first_date }} as date) - date_part('dow', cast({{ first_date }} as date))::integer)) / 7
{%- elif datepart == 'year' -%}
cast(extract(year from {{ b }}) - extract(year from {{ a }}) as bigint)
{%- elif datepart in per_year -%}
cast((extract(year from {{ b }}) * {{ per_year[datepart] }} + extract({{ datepart }} from {{ b }})) - (extract(year from {{ a }}) * {{ per_year[datepart] }} + extract({{ datepart }} from {{ a }})) as bigint)
{%- elif datepart == 'day' -%}
(({{ second_date }})::date - ({{ first_date }})::date)
{%- elif datepart in seconds -%}
cast(round((extract(epoch from date_trunc('{{ trunc.get(datepart, datepart) }}', {{ b }})) - extract(epoch from date_trunc('{{ trunc.get(datepart, datepart) }}', {{ a }}))) / {{ seconds[datepart] }}) as bigint)
{%- else -%}
{{ exceptions.raise_compiler_error("datediff: datepart " ~ datepart ~ " is not one of year, quarter, month, week, day, hour, minute, second, millisecond, microsecond") }}
{%- endif -%}
{%- endmacro %}
