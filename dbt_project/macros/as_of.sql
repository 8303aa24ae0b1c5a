{#- The run month and its as-of date (SPEC.md section 2, "As-of date").

    The run month is a string 'YYYY-MM-01' (any day of the month, or
    'YYYY-MM', is accepted and means that month) from, in this order: the var
    `as_of_month` (unit tests and ad-hoc `dbt build --vars`), the environment
    variable SOP_AS_OF_MONTH (set by Dagster on every run), else the previous
    calendar month of the day dbt compiles, in the machine's local time, so
    that the default is the last complete month.

    Dagster does not pass the month with `--vars`: any change of `--vars`
    makes dbt throw its saved parse away (partial_parse.msgpack) and re-parse
    the whole project, about 10 s a run. The environment variable is read
    only when dbt executes (`execute`), never while it parses, so dbt does not
    record it as a parse input either and a new month re-parses nothing.

    Both macros render a constant date literal, so every model of one
    invocation sees the same date and the SQL stays portable. -#}

{% macro as_of_month_start() -%}
    {#- The first day of the run month, as a Python date. -#}
    {%- set value = var('as_of_month', none) -%}
    {%- if (value is none or (value | string | trim) == '') and execute -%}
        {%- set value = env_var('SOP_AS_OF_MONTH', '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- set today = modules.datetime.date.today() -%}
        {%- set previous = today.replace(day=1) - modules.datetime.timedelta(days=1) -%}
        {{ return(previous.replace(day=1)) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set match = modules.re.match('^([0-9]{4})-([0-9]{2})(-[0-9]{2})?$', text) -%}
    {%- if not match or (match.group(2) | int) < 1 or (match.group(2) | int) > 12 -%}
        {{ exceptions.raise_compiler_error(
            "as_of_month (var, or env SOP_AS_OF_MONTH) must be a month as 'YYYY-MM-01', "
            ~ "got '" ~ text ~ "'"
        ) }}
    {%- endif -%}
    {{ return(modules.datetime.date(match.group(1) | int, match.group(2) | int, 1)) }}
{%- endmacro %}

{% macro as_of_month() -%}
    {#- The first day of the run month, as a date literal expression. -#}
    cast('{{ as_of_month_start().isoformat() }}' as date)
{%- endmacro %}

{% macro as_of_date() -%}
    {#- The last day of the run month, as a date literal expression: rows dated
        after it (orders, activities, history, closed deals) do not count. -#}
    {%- set start = as_of_month_start() -%}
    {%- if start.month == 12 -%}
        {%- set next_month = start.replace(year=start.year + 1, month=1) -%}
    {%- else -%}
        {%- set next_month = start.replace(month=start.month + 1) -%}
    {%- endif -%}
    cast('{{ (next_month - modules.datetime.timedelta(days=1)).isoformat() }}' as date)
{%- endmacro %}
