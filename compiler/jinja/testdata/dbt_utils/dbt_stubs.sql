{#- Stand-ins for the dbt package's cross-database macros that dbt_utils
    calls (dbt.hash, dbt.concat, ...), written for this test with the SQL
    dbt-duckdb generates. The test renders dbt_utils' own macros with them,
    in kiln and in Python's Jinja2 (gen.py), and compares. -#}

{% macro type_string() %}{{ return('VARCHAR') }}{% endmacro %}
{% macro type_timestamp() %}{{ return('TIMESTAMP') }}{% endmacro %}
{% macro type_numeric() %}{{ return('NUMERIC(28,6)') }}{% endmacro %}
{% macro type_int() %}{{ return('INTEGER') }}{% endmacro %}
{% macro type_float() %}{{ return('FLOAT') }}{% endmacro %}

{% macro hash(field) -%}
    md5(cast({{ field }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro concat(fields) -%}
    {{ fields|join(' || ') }}
{%- endmacro %}

{% macro escape_single_quotes(expression) -%}
{{ expression | replace("'","''") }}
{%- endmacro %}

{% macro split_part(string_text, delimiter_text, part_number) -%}
    string_split({{ string_text }}, {{ delimiter_text }})[ {{ part_number }} ]
{%- endmacro %}

{% macro replace(field, old_chars, new_chars) -%}
    replace({{ field }}, {{ old_chars }}, {{ new_chars }})
{%- endmacro %}

{% macro position(substring_text, string_text) -%}
    position({{ substring_text }} in {{ string_text }})
{%- endmacro %}

{% macro length(expression) -%}
    length({{ expression }})
{%- endmacro %}

{% macro right(string_text, length_expression) -%}
    case when {{ length_expression }} = 0 then '' else substring({{ string_text }}, -({{ length_expression }})) end
{%- endmacro %}

{% macro safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
    date_add({{ from_date_or_timestamp }}, interval ({{ interval }}) {{ datepart }})
{%- endmacro %}

{% macro datediff(first_date, second_date, datepart) -%}
    date_diff('{{ datepart }}', {{ first_date }}::timestamp, {{ second_date}}::timestamp)
{%- endmacro %}

{% macro current_timestamp() -%}
    now()
{%- endmacro %}

{% macro date_trunc(datepart, date) -%}
    date_trunc('{{ datepart }}', {{ date }})
{%- endmacro %}

{% macro string_literal(value) -%}
    '{{ value }}'
{%- endmacro %}

{% macro cast_bool_to_text(field) -%}
    cast({{ field }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro except() -%}
    except
{%- endmacro %}
