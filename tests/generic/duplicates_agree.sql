{#- duplicates_agree(model, column_name, compare, agree=false): the
    duplicated values of the key column_name, one row per key value that
    appears more than once (nulls left out): with agree false (the
    default), the keys whose rows disagree on a column of `compare` (a
    list of columns: which row the cleaning keeps would change the
    figures, so fail); with agree true, the keys whose rows are identical
    on them (a row exported twice: warn). Each row gives the key, its
    number of rows and the lowest and highest value of each compared
    column. Portable SQL (DuckDB and PostgreSQL). -#}
{% test duplicates_agree(model, column_name, compare, agree=false) %}
select
    {{ column_name }},
    count(*) as n_rows
    {%- for c in compare %},
    min({{ c }}) as min_{{ c }},
    max({{ c }}) as max_{{ c }}
    {%- endfor %}
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
   and count(distinct
       {%- for c in compare %} coalesce(cast({{ c }} as varchar), '<null>'){% if not loop.last %} || '|' ||{% endif %}{% endfor %}
   ) {{ '=' if agree else '>' }} 1
{% endtest %}
