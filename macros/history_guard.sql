{#- history_guard(): BottleNeck's on-run-start check (project.yml) that a
    run does not write the history of another stream of inputs, or an old
    month by mistake (README, "BottleNeck over months"). It returns no SQL;
    when it refuses, it raises, so no node runs and the database, the
    history, the snapshot and the exports stay as they were (exit code 1).
    Only build, run, snapshot and retry are checked: test, seed, show and
    compile write no month.

    - A run reading the bundled sample is refused on a database where an
      earlier successful run wrote history.monthly_indicators or the
      snapshot from other inputs: the sample would replace the marts and
      exports, add a synthetic month to the history and close every real
      version of the snapshot, and every gate is off on the sample. The
      sample is told by its bytes, not by the raw_dir var: a run reads the
      sample when each of its workbooks has the bytes of a workbook under
      the project's data/sample/ (history_guard_sample_of), whatever
      the path (relative or absolute, a symlink, a copy elsewhere) or the
      var's default. An earlier run's inputs are the files its
      input_freshness gates recorded (kiln_history.observations: path and
      SHA-256), told from the sample the same way; a run that recorded
      none (gates off, or a kiln without them) by its --vars' raw_dir
      (kiln_history.runs.vars): outside data/sample/ and, read now, not
      the sample's bytes. On a database other
      than DuckDB (which reads files for the check), the sample is a
      raw_dir under data/sample/.
    - A run whose raw_dir is not the bundled sample is refused when
      --vars gives no month (flags.VARS) and the month var is a bundled
      sample's (project.yml's default): the exports would be filed under
      the sample's month (history_guard_month_given).
    The months of history.monthly_indicators the guard counts are its
    accepted rows (history_guard_accepted): a month whose run failed and
    was kept by --no-rollback is not counted.
    - A month older than the latest month of history.monthly_indicators
      is refused unless --vars gives backfill: true (a month never built:
      a likely wrong month var; a month held: a plain run would make it
      the present of the marts, the exports and the snapshot), and
      backfill: true is refused for a month that is not older. A backfill
      writes its month's row of the history only (project.yml); the
      guard says so in one line. The latest month run again stays allowed.
    - A month the history holds, run again with input files whose bytes
      differ from those its last accepted run read (the files its
      input_freshness gates recorded: kiln_history.observations, path and
      SHA-256, the last accepted record of each gate for the month) is
      refused unless --vars gives correction: true
      (history_guard_month_again). The same files run again stay allowed.
    Errors: a compiler error whose message names the database, the months
    and what to do. -#}
{% macro history_guard() %}
{%- if execute and flags.WHICH in ['build', 'run', 'snapshot', 'retry'] -%}
{%- set database = target.path if target.type == 'duckdb' else target.type ~ ' database ' ~ target.database ~ ' (target ' ~ target.name ~ ')' -%}
{%- set raw_dir = var('raw_dir') ~ '' -%}
{%- set sample = history_guard_sample_of(raw_dir) -%}
{%- if sample -%}
{{- history_guard_sample(database, raw_dir, sample) -}}
{%- endif -%}
{{- history_guard_month_given(raw_dir, sample) -}}
{%- set month = var('month') ~ '' -%}
{#- One query gives what the checks of the month read: the latest
    accepted month of the history and whether it holds this month. -#}
{%- set history = load_relation(ref('monthly_indicators')) -%}
{%- set r = run_query("select cast(max(month) as varchar), count(case when month = cast(" ~ history_guard_literal(month ~ '-01') ~ " as date) then 1 end) from "
    ~ history ~ " where " ~ history_guard_accepted(history)) if history is not none else none -%}
{%- set latest = ((r.columns[0].values()[0] or '') ~ '')[:7] if r is not none else '' -%}
{%- set held = r is not none and r.columns[1].values()[0] | int > 0 -%}
{{- history_guard_old_month(database, month, history, latest, held) -}}
{{- history_guard_gap(database, month, history, latest) -}}
{{- history_guard_unchanged(database, raw_dir) -}}
{{- history_guard_month_again(database, month, raw_dir, history, held) -}}
{%- endif -%}
{% endmacro %}

{#- history_guard_accepted(history): the condition of an accepted row of
    history (monthly_indicators): accepted true, or NULL (a row written
    before the column existed); "true" on a table without the column.
    A month whose run failed and was kept (--no-rollback) is marked
    accepted = false (history_accept): the guard does not count it. -#}
{% macro history_guard_accepted(history) %}
{%- set columns = [] -%}
{%- for c in adapter.get_columns_in_relation(history) -%}{%- set _ = columns.append(c.name | lower) -%}{%- endfor -%}
{{ return('coalesce(accepted, true)' if 'accepted' in columns else 'true') }}
{% endmacro %}

{#- history_guard_literal(s): s as a SQL string literal. -#}
{% macro history_guard_literal(s) %}{{ return("'" ~ (s ~ '').replace("'", "''") ~ "'") }}{% endmacro %}

{#- history_guard_bundled(): the workbooks of the bundled sample, as a
    list of absolute paths (those under the project's data/sample/<month>/;
    an empty list when there are none, or on a database other than
    DuckDB). -#}
{% macro history_guard_bundled() %}
{%- if target.type != 'duckdb' -%}{{ return([]) }}{%- endif -%}
{%- set pattern = flags.PROJECT_DIR ~ '/data/sample/*/*.xlsx' -%}
{{ return(run_query("select file from glob(" ~ history_guard_literal(pattern) ~ ") order by file").columns[0].values() | list) }}
{% endmacro %}

{#- history_guard_sample_of(raw_dir): the folder of the bundled sample
    (data/sample/<month>) whose workbooks have the bytes of raw_dir's
    erp.xlsx, web.xlsx and liaison.xlsx (each of those found has the bytes
    of a bundled workbook; the folder with most of them): a folder that
    mixes a sample's workbook with others is another stream of inputs; "" when none has (or
    raw_dir's workbooks are missing: the run's check of its inputs says
    so). raw_dir is relative to the project's directory or absolute. On a
    database other than DuckDB: raw_dir itself when it is under
    data/sample/, else "". -#}
{% macro history_guard_sample_of(raw_dir) %}
{%- if target.type != 'duckdb' -%}
{{- return(raw_dir if raw_dir.startswith('data/sample/') else '') -}}
{%- endif -%}
{%- set bundled = history_guard_bundled() -%}
{%- set dir = raw_dir if raw_dir.startswith('/') else flags.PROJECT_DIR ~ '/' ~ raw_dir -%}
{%- set globs = [] -%}
{%- for name in ['erp.xlsx', 'web.xlsx', 'liaison.xlsx'] -%}
{%- set _ = globs.append("select file from glob(" ~ history_guard_literal(dir ~ '/' ~ name) ~ ")") -%}
{%- endfor -%}
{%- set inputs = run_query(globs | join(' union all ')).columns[0].values() | list -%}
{%- if not bundled or not inputs -%}{{ return('') }}{%- endif -%}
{%- set quoted_in = [] -%}{%- for f in inputs -%}{%- set _ = quoted_in.append(history_guard_literal(f)) -%}{%- endfor -%}
{%- set quoted_b = [] -%}{%- for f in bundled -%}{%- set _ = quoted_b.append(history_guard_literal(f)) -%}{%- endfor -%}
{#- Sizes first (read_blob reads no content for them): only files of a
    bundled workbook's size are read and hashed, none on a real month. -#}
{%- set pairs = run_query("select i.filename, b.filename from read_blob([" ~ quoted_in | join(', ') ~ "]) as i join read_blob(["
    ~ quoted_b | join(', ') ~ "]) as b on i.size = b.size order by 1, 2") -%}
{%- if not pairs.rows -%}{{ return('') }}{%- endif -%}
{%- set cand_in = [] -%}{%- set cand_b = [] -%}
{%- for row in pairs.rows -%}
{%- if history_guard_literal(row[0]) not in cand_in -%}{%- set _ = cand_in.append(history_guard_literal(row[0])) -%}{%- endif -%}
{%- if history_guard_literal(row[1]) not in cand_b -%}{%- set _ = cand_b.append(history_guard_literal(row[1])) -%}{%- endif -%}
{%- endfor -%}
{%- if cand_in | length < inputs | length -%}{{ return('') }}{%- endif -%}
{%- set hits = run_query("select regexp_replace(b.filename, '/[^/]*$', '') as folder from read_blob([" ~ cand_in | join(', ') ~ "]) as i join read_blob(["
    ~ cand_b | join(', ') ~ "]) as b on i.size = b.size and sha256(i.content) = sha256(b.content) group by folder order by count(*) desc, folder limit 1").columns[0].values() | list -%}
{%- set matched = run_query("select count(distinct i.filename) from read_blob([" ~ cand_in | join(', ') ~ "]) as i join read_blob(["
    ~ cand_b | join(', ') ~ "]) as b on i.size = b.size and sha256(i.content) = sha256(b.content)").columns[0].values()[0] | int -%}
{%- if not hits or matched < inputs | length -%}{{ return('') }}{%- endif -%}
{{ return((hits[0] ~ '')[(flags.PROJECT_DIR | length) + 1:]) }}
{% endmacro %}

{#- history_guard_sample(database, raw_dir, sample): raises when a
    successful run that read other inputs than the bundled sample wrote
    the history or the snapshot of this database; sample is the bundled
    folder this run's workbooks are the bytes of; see history_guard. -#}
{% macro history_guard_sample(database, raw_dir, sample) %}
{%- set have = run_query("select count(*) from information_schema.columns where table_schema = 'kiln_history' and ((table_name = 'runs' and column_name = 'vars') or (table_name = 'node_results' and column_name = 'unique_id') or (table_name = 'observations' and column_name = 'detail'))") -%}
{%- set have = have.columns[0].values()[0] | int -%}
{%- if have >= 2 -%}
{%- set built = "select r.run_id, r.started_at, r.vars from kiln_history.runs as r where r.status = 'success'"
    ~ " and exists (select 1 from kiln_history.node_results as n where n.run_id = r.run_id and n.status = 'success'"
    ~ " and n.unique_id in ('model." ~ project_name ~ ".monthly_indicators', 'snapshot." ~ project_name ~ ".erp_price_history'))" -%}
{%- set bundled = history_guard_bundled() -%}
{%- if have == 3 and target.type == 'duckdb' -%}
{%- set quoted_b = [] -%}{%- for f in bundled -%}{%- set _ = quoted_b.append(history_guard_literal(f)) -%}{%- endfor -%}
{%- set sample_shas = ("select sha256(content) as sha from read_blob([" ~ quoted_b | join(', ') ~ "])") if bundled else "select cast(null as varchar) as sha where false" -%}
{%- set runs = run_query("with built as (" ~ built ~ "), bundled as (" ~ sample_shas ~ "),"
    ~ " files as (select o.run_id, o.month, json_extract_string(o.detail, '$.sha256') as sha, json_extract_string(o.detail, '$.path') as path"
    ~ " from kiln_history.observations as o where o.run_id in (select run_id from built) and json_extract_string(o.detail, '$.sha256') is not null)"
    ~ " select b.vars, count(f.run_id), max(f.month), min(case when f.sha not in (select sha from bundled) then regexp_replace(f.path, '/[^/]*$', '') end)"
    ~ " from built as b left join files as f on f.run_id = b.run_id group by b.run_id, b.started_at, b.vars order by b.started_at, b.run_id") -%}
{%- else -%}
{%- set runs = run_query("select b.vars, 0, null, null from (" ~ built ~ ") as b order by b.started_at, b.run_id") -%}
{%- endif -%}
{%- set months = {} -%}
{%- for row in runs.rows -%}
{%- if row[1] | int > 0 -%}
{%- if row[3] is not none -%}
{%- set m = row[2] | int -%}
{%- set _ = months.update({'%04d-%02d' | format(m // 12, m % 12 + 1): row[3] ~ ''}) -%}
{%- endif -%}
{%- elif row[0] is not none and row[0] ~ '' != '' -%}
{%- set v = fromjson(row[0]) -%}
{%- if 'raw_dir' in v and not (v['raw_dir'] ~ '').startswith('data/sample/') and not history_guard_sample_of(v['raw_dir'] ~ '') -%}
{%- set m = v['month'] ~ '' if 'month' in v else "the project's default month" -%}
{%- set _ = months.update({m: v['raw_dir'] ~ ''}) -%}
{%- endif -%}
{%- endif -%}
{%- endfor -%}
{%- if months -%}
{%- set held = [] -%}
{%- for m in months | sort -%}
{%- set _ = held.append(m ~ ' from ' ~ months[m]) -%}
{%- endfor -%}
{{ exceptions.raise_compiler_error("this run reads the bundled sample (raw_dir " ~ raw_dir ~ ("" if raw_dir == sample else ": the workbooks of " ~ sample) ~ ") but the database " ~ database
    ~ " holds " ~ ("a month" if held | length == 1 else "months") ~ " built from other inputs: " ~ held | join(', ')
    ~ ". Nothing was run: the sample would replace the marts and exports, add a synthetic month to history.monthly_indicators and close the snapshot's versions, with every gate off."
    ~ " Pass the month's inputs, --vars '{raw_dir: <folder of the month>, month: YYYY-MM}', or build the sample into another database (database-path, or a target of its own)") }}
{%- endif -%}
{%- endif -%}
{% endmacro %}

{#- history_guard_old_month(database, month, history, latest, held): month
    (YYYY-MM) against latest, the latest accepted month (YYYY-MM, '' for
    none) of history (history.monthly_indicators, none when there is
    none); held: whether history holds month. Without var backfill it
    raises when month is older (never built: a likely wrong month var;
    held: a plain run would make it the present of the marts, exports and
    snapshot). With backfill: true it raises when month is not older (or
    the history holds no month), and otherwise says in one line what the
    backfill writes and leaves; see history_guard and project.yml. -#}
{% macro history_guard_old_month(database, month, history, latest, held) %}
{%- set backfill = var('backfill', false) -%}
{%- set older = latest != '' and latest > month -%}
{%- set keeps = "the snapshot, the marts and the exports keep " ~ latest ~ "'s figures" -%}
{%- if older and not backfill and not held -%}
{{ exceptions.raise_compiler_error("month " ~ month ~ " was never built and is older than the latest month of " ~ history ~ " in " ~ database
    ~ ", " ~ latest ~ ". Nothing was run: check the month var (a wrong month would file another month's figures under " ~ month
    ~ " in the history). To build a missed month after later ones, pass backfill: true in --vars: the run writes " ~ month ~ "'s row of the history only, and " ~ keeps) }}
{%- elif older and not backfill -%}
{{ exceptions.raise_compiler_error("month " ~ month ~ " is older than the latest month of " ~ history ~ " in " ~ database ~ ", " ~ latest
    ~ ". Nothing was run: a run of it would make " ~ month ~ " the present (the marts, the exports and the snapshot's current versions). To correct "
    ~ month ~ "'s row of the history, pass backfill: true in --vars: the run writes that row only, and " ~ keeps) }}
{%- elif backfill and not older -%}
{{ exceptions.raise_compiler_error("backfill: true runs a month older than the latest month of the history, but " ~ month ~ " is not"
    ~ (": the history holds no month yet in " ~ database if latest == '' else " older than " ~ latest ~ ", the latest month of " ~ history ~ " in " ~ database)
    ~ ". Nothing was run: a backfill writes its month's row of the history only, and leaves the marts, the exports and the snapshot as they are. Run "
    ~ month ~ " without backfill: true") }}
{%- elif backfill -%}
{{- log("backfill of " ~ month ~ " (older than " ~ latest ~ ", the latest month of " ~ history ~ "): this run writes " ~ month
    ~ "'s row of the history, its working tables under the backfill_* schemas; it takes no snapshot and writes no export, so " ~ keeps ~ ".", info=True) -}}
{%- endif -%}
{% endmacro %}

{#- history_guard_month_again(database, month, raw_dir, history, held):
    raises when month (YYYY-MM) is in history (history.monthly_indicators,
    none when there is none: held says so) and a file of raw_dir
    differs from the one the month's last accepted run read, unless var
    correction is true; see history_guard. The files compared are those
    the month's input_freshness gates recorded (the last accepted record
    of each gate for the month: a month run twice counts once), each with
    the file of the same name under raw_dir, by their bytes (SHA-256: the
    guard runs before the load that digests the cells, so a workbook saved
    again with the same cells differs too). A file missing under raw_dir
    is left to the run's check of its inputs. A month built with the gates
    off (the sample) recorded no file: nothing to compare. On DuckDB the
    database reads and hashes the files (read_blob); on another database
    (PostgreSQL, which cannot read the client's files) kiln does, on the
    machine it runs on (local_file_sha256), against the same records kept
    in the database's kiln_history. -#}
{% macro history_guard_month_again(database, month, raw_dir, history, held) %}
{%- set correction = var('correction', false) -%}
{%- set have = run_query("select count(*) from information_schema.columns where table_schema = 'kiln_history' and ((table_name = 'runs' and column_name = 'started_at') or (table_name = 'node_results' and column_name = 'unique_id') or (table_name = 'observations' and column_name = 'detail'))").columns[0].values()[0] | int -%}
{%- if history is none or have < 3 -%}
{%- if correction -%}{{ log("correction: true has no effect: month " ~ month ~ " is not in the history of monthly indicators, there is nothing to correct", info=True) }}{%- endif -%}
{{- return('') -}}
{%- endif -%}
{%- if not held -%}
{%- if correction -%}{{ log("correction: true has no effect: month " ~ month ~ " is not among the accepted months of " ~ history ~ ", there is nothing to correct", info=True) }}{%- endif -%}
{{- return('') -}}
{%- endif -%}
{%- set duck = target.type == 'duckdb' -%}
{%- set json_path = "json_extract_string(o.detail, '$.path')" if duck else "(cast(o.detail as json) ->> 'path')" -%}
{%- set json_sha = "json_extract_string(o.detail, '$.sha256')" if duck else "(cast(o.detail as json) ->> 'sha256')" -%}
{%- set when = "strftime(started_at, '%Y-%m-%d %H:%M:%S')" if duck else "to_char(started_at, 'YYYY-MM-DD HH24:MI:SS')" -%}
{%- set m = (month[:4] | int) * 12 + (month[5:7] | int) - 1 -%}
{%- set records = run_query("select path, sha, run_id, " ~ when ~ " from ("
    ~ " select " ~ json_path ~ " as path, " ~ json_sha ~ " as sha, r.run_id, r.started_at,"
    ~ " row_number() over (partition by o.series order by r.started_at desc, r.run_id desc) as k"
    ~ " from kiln_history.observations as o join kiln_history.runs as r on r.run_id = o.run_id"
    ~ " join kiln_history.node_results as n on n.run_id = o.run_id and n.unique_id = o.unique_id"
    ~ " where o.month = " ~ m ~ " and o.accepted and r.status = 'success' and n.status in ('pass', 'warn')"
    ~ " and " ~ json_sha ~ " is not null) as last where k = 1 order by started_at desc, path") -%}
{%- if not records.rows -%}
{%- if correction -%}{{ log("correction: true has no effect: the run that built month " ~ month ~ " recorded no input file (its input_freshness gates were off), there is nothing to compare", info=True) }}{%- endif -%}
{{- return('') -}}
{%- endif -%}
{%- set dir = raw_dir if raw_dir.startswith('/') else flags.PROJECT_DIR ~ '/' ~ raw_dir -%}
{%- set names = [] -%}{%- set globs = [] -%}
{%- for row in records.rows -%}
{%- set name = (row[0] ~ '').split('/')[-1] -%}
{%- if name not in names -%}
{%- set _ = names.append(name) -%}
{%- set _ = globs.append("select file from glob(" ~ history_guard_literal(dir ~ '/' ~ name) ~ ")") -%}
{%- endif -%}
{%- endfor -%}
{%- set current = {} -%}
{%- if not duck -%}
{#- The server cannot read the client's files: kiln hashes them. -#}
{%- for name in names -%}
{%- set sha = local_file_sha256(dir ~ '/' ~ name) -%}
{%- if sha is not none -%}{%- set _ = current.update({name: sha}) -%}{%- endif -%}
{%- endfor -%}
{%- endif -%}
{%- set found = run_query(globs | join(' union all ')).columns[0].values() | list if duck else [] -%}
{%- if found -%}
{%- set quoted = [] -%}{%- for f in found -%}{%- set _ = quoted.append(history_guard_literal(f)) -%}{%- endfor -%}
{%- for row in run_query("select filename, sha256(content) from read_blob([" ~ quoted | join(', ') ~ "])").rows -%}
{%- set _ = current.update({(row[0] ~ '').split('/')[-1]: row[1] ~ ''}) -%}
{%- endfor -%}
{%- endif -%}
{%- set differ = [] -%}{%- set was = [] -%}{%- set runs = [] -%}
{%- for row in records.rows -%}
{%- set name = (row[0] ~ '').split('/')[-1] -%}
{%- if name in current and current[name] != row[1] ~ '' and name not in differ -%}
{%- set _ = differ.append(name) -%}
{%- set _ = was.append(row[0] ~ '') -%}
{%- set run = 'run ' ~ (row[2] ~ '')[:8] ~ ' of ' ~ row[3] ~ ' UTC' -%}
{%- if run not in runs -%}{%- set _ = runs.append(run) -%}{%- endif -%}
{%- endif -%}
{%- endfor -%}
{%- if differ and not correction -%}
{{ exceptions.raise_compiler_error("month " ~ month ~ " is already in " ~ history ~ " in " ~ database ~ ", built by " ~ runs | join(' and ')
    ~ ", and " ~ differ | join(', ') ~ " under raw_dir " ~ raw_dir ~ (" differs from the file" if differ | length == 1 else " differ from the files") ~ " it accepted (" ~ was | join(', ') ~ ")."
    ~ " Nothing was run: check the month var (these may be another month's exports: the run would replace " ~ month ~ "'s figures, which no run can rebuild once its exports are gone, and the snapshot would record their prices)."
    ~ " If they are " ~ month ~ "'s files (a corrected export), pass correction: true in --vars to replace the month's figures with them."
    ~ " Files are compared by their bytes: a workbook saved again with the same cells differs too, and needs correction: true") }}
{%- elif correction and not differ -%}
{{ log("correction: true has no effect: the files under raw_dir " ~ raw_dir ~ " are those month " ~ month ~ " was built with", info=True) }}
{%- endif -%}
{% endmacro %}

{#- history_guard_month_given(raw_dir, sample): raises when raw_dir is not
    the bundled sample (sample is ""), --vars does not give month
    (flags.VARS) and the month var is a bundled sample's (a folder
    data/sample/<month>, project.yml's default): the run would file another
    month's exports under the sample's month. On a database other than
    DuckDB (which lists the sample's folders) any month var not given by
    --vars is refused with a raw_dir outside data/sample/. See
    history_guard. -#}
{% macro history_guard_month_given(raw_dir, sample) %}
{%- set month = var('month') ~ '' -%}
{%- if not sample and 'month' not in flags.VARS -%}
{%- set sample_months = [] -%}
{%- for f in history_guard_bundled() -%}
{%- set _ = sample_months.append((f ~ '').split('/')[-2]) -%}
{%- endfor -%}
{%- if target.type != 'duckdb' or month in sample_months -%}
{{ exceptions.raise_compiler_error("this run reads " ~ raw_dir ~ ", not the bundled sample, but --vars gives no month, and the month var, " ~ month
    ~ ", is the bundled sample's (project.yml's default). Nothing was run: the exports would be filed as " ~ month ~ " in the history and the snapshot."
    ~ " Pass the month the exports are for: --vars '{raw_dir: " ~ raw_dir ~ ", month: YYYY-MM}'") }}
{%- endif -%}
{%- endif -%}
{% endmacro %}

{#- history_guard_gap(database, month, history, latest): raises when month
    (YYYY-MM) is more than one month after latest, the latest accepted
    month of history (history.monthly_indicators; '' for none)
    and var gap is not true, naming the missing months (up to 12, then
    their count); with gap: true it says in one line which months the
    history skips, and that gap: true has no effect when month is not
    ahead. An empty or missing history accepts any month. See
    history_guard. -#}
{% macro history_guard_gap(database, month, history, latest) %}
{%- set gap = var('gap', false) -%}
{%- if latest == '' -%}
{%- if gap -%}{{ log("gap: true has no effect: the history of monthly indicators holds no month yet in " ~ database ~ ", so " ~ month ~ " is its first month", info=True) }}{%- endif -%}
{{- return('') -}}
{%- endif -%}
{%- set at = (month[:4] | int) * 12 + (month[5:7] | int) - 1 -%}
{%- set last = (latest[:4] | int) * 12 + (latest[5:7] | int) - 1 -%}
{%- if at - last <= 1 -%}
{%- if gap -%}{{ log("gap: true has no effect: " ~ month ~ " is not more than one month after " ~ latest ~ ", the latest month of " ~ history ~ " in " ~ database, info=True) }}{%- endif -%}
{{- return('') -}}
{%- endif -%}
{%- set missing = [] -%}
{%- for k in range(last + 1, at) -%}
{%- if missing | length < 12 -%}{%- set _ = missing.append('%04d-%02d' | format(k // 12, k % 12 + 1)) -%}{%- endif -%}
{%- endfor -%}
{%- set named = missing | join(', ') ~ (" and " ~ (at - last - 1 - 12) ~ " more" if at - last - 1 > 12 else "") -%}
{%- set next = '%04d-%02d' | format((last + 1) // 12, (last + 1) % 12 + 1) -%}
{%- if not gap -%}
{{ exceptions.raise_compiler_error("month " ~ month ~ " is more than one month after " ~ latest ~ ", the latest month of " ~ history ~ " in " ~ database
    ~ ": the history has no " ~ named ~ ". Nothing was run: check the month var (the next month is " ~ next ~ "; a month typed ahead would file "
    ~ next ~ "'s figures under " ~ month ~ " in the history, the marts, the exports and the snapshot)."
    ~ " If " ~ month ~ " is right and " ~ named ~ " will never be built (or only later, as " ~ ("backfills" if at - last - 1 > 1 else "a backfill") ~ "), pass gap: true in --vars") }}
{%- else -%}
{{- log("gap: true: " ~ month ~ " follows " ~ latest ~ ", the latest month of " ~ history ~ "; the history skips " ~ named ~ " (build " ~ ("them" if at - last - 1 > 1 else "it") ~ " later with backfill: true)", info=True) -}}
{%- endif -%}
{% endmacro %}

{#- history_guard_unchanged(database, raw_dir): checks var unchanged_ok,
    the sources (comma-separated) whose export the operator confirms did
    not change since an accepted month (models/staging/_sources.yml turns
    their input_freshness gates' may_repeat on for the run). Raises when it
    names a source other than raw.erp and raw.web (raw.liaison may always
    repeat). On DuckDB it says in one line, for each source named, the
    accepted month whose file has the bytes of raw_dir's, or that the
    confirmation has no effect (the file is a new one). -#}
{% macro history_guard_unchanged(database, raw_dir) %}
{%- set given = (var('unchanged_ok', '') ~ '').replace(' ', '') -%}
{%- if given == '' -%}{{- return('') -}}{%- endif -%}
{%- set files = {'raw.erp': 'erp.xlsx', 'raw.web': 'web.xlsx'} -%}
{%- for name in given.split(',') -%}
{%- if name == 'raw.liaison' -%}
{{ log("unchanged_ok: raw.liaison has no effect: the liaison may always repeat (may_repeat: true in models/staging/_sources.yml)", info=True) }}
{%- elif name not in files -%}
{{ exceptions.raise_compiler_error("unchanged_ok names " ~ name ~ ", which is not a monthly export of this project. Nothing was run: name raw.erp, raw.web or both, comma-separated (--vars '{..., unchanged_ok: raw.erp}')") }}
{%- elif target.type == 'duckdb' -%}
{%- set dir = raw_dir if raw_dir.startswith('/') else flags.PROJECT_DIR ~ '/' ~ raw_dir -%}
{%- set path = dir ~ '/' ~ files[name] -%}
{%- set have = run_query("select count(*) from glob(" ~ history_guard_literal(path) ~ ")").columns[0].values()[0] | int -%}
{%- set obs = run_query("select count(*) from information_schema.columns where table_schema = 'kiln_history' and table_name = 'observations' and column_name = 'detail'").columns[0].values()[0] | int -%}
{%- set months = [] -%}
{%- if have > 0 and obs > 0 -%}
{%- for row in run_query("select distinct o.month from kiln_history.observations as o join kiln_history.runs as r on r.run_id = o.run_id"
    ~ " where o.accepted and r.status = 'success' and json_extract_string(o.detail, '$.sha256') = (select sha256(content) from read_blob(" ~ history_guard_literal(path) ~ "))"
    ~ " and json_extract_string(o.detail, '$.path') like " ~ history_guard_literal('%/' ~ files[name]) ~ " order by 1").rows -%}
{%- set m = row[0] | int -%}
{%- set _ = months.append('%04d-%02d' | format(m // 12, m % 12 + 1)) -%}
{%- endfor -%}
{%- endif -%}
{%- if months -%}
{{ log("unchanged_ok: " ~ name ~ ": " ~ files[name] ~ " under raw_dir " ~ raw_dir ~ " has the content of the file accepted for " ~ months | join(', ')
    ~ "; this run accepts it as " ~ var('month') ~ "'s export, as the operator confirmed (the run's vars record it: kiln runs)", info=True) }}
{%- else -%}
{{ log("unchanged_ok: " ~ name ~ " has no effect: " ~ files[name] ~ " under raw_dir " ~ raw_dir ~ " is not the file of an accepted month", info=True) }}
{%- endif -%}
{%- else -%}
{{ log("unchanged_ok: " ~ name ~ ": this run's input_freshness gate of " ~ name ~ " accepts a file with an accepted month's content; the guard does not compare the file itself on " ~ target.type ~ " (not supported yet: it reads files through DuckDB)", info=True) }}
{%- endif -%}
{%- endfor -%}
{% endmacro %}
