{#- mapped_by(model, column_name, to, field, key=none): the values of
    column_name (nulls left out) that no row of `to` (a ref) holds in
    `field`, one row per value: the rows a join of model with `to` on
    column_name = field would lose. Each row says why when it can:
    near_miss lists the rows of `to` whose field is the value with
    whitespace around it (a space, a tab, a CR LF or a no-break space
    before or after it: a cell typed or pasted by hand), the field written
    with its whitespace made visible ("15298\r\n") and, with key (a column
    of `to`), the row's key; hint says what to do. With store_failures,
    kiln prints the first rows under the failure. Portable SQL (DuckDB and
    PostgreSQL). -#}
{% test mapped_by(model, column_name, to, field, key=none) %}
{%- set blank = "'^[\\s\\xA0]+|[\\s\\xA0]+$'" -%}
{%- set to_name = to.identifier if to.identifier is defined else to -%}
with missing as (
    select distinct cast(m.{{ column_name }} as varchar) as value
    from {{ model }} as m
    where m.{{ column_name }} is not null
      and not exists (
          select 1 from {{ to }} as t
          where cast(t.{{ field }} as varchar) = cast(m.{{ column_name }} as varchar)
      )
),
padded as (
    select
        regexp_replace(cast({{ field }} as varchar), {{ blank }}, '', 'g') as value,
        '"' || replace(replace(replace(replace(cast({{ field }} as varchar),
            chr(13), '\r'), chr(10), '\n'), chr(9), '\t'), chr(160), '\u00a0') || '"'
        {%- if key %} || ' ({{ key }} ' || cast({{ key }} as varchar) || ')'{% endif %} as shown
    from {{ to }}
    where cast({{ field }} as varchar) <> regexp_replace(cast({{ field }} as varchar), {{ blank }}, '', 'g')
)
select
    missing.value as {{ column_name }},
    string_agg(padded.shown, ', ' order by padded.shown) as near_miss,
    case
        when count(padded.shown) > 0
            then 'whitespace around {{ field }} in {{ to_name }}: remove it from the input it comes from (or trim {{ field }} in {{ to_name }})'
        else 'no row of {{ to_name }} has this value in {{ field }}: add it to the mapping'
    end as hint
from missing
left join padded on padded.value = missing.value
group by missing.value
{% endtest %}
