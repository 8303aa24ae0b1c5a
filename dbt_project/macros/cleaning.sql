{#- Light cleaning shared by the staging models. -#}

{% macro clean_text(column) -%}
    {#- Trimmed text; an empty string is a missing value. -#}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{% macro _match_key(text) -%}
    {#- The spelling-insensitive form of a literal: lower case, without spaces,
        hyphens or underscores ('Mid Market', 'mid-market' -> 'midmarket'). -#}
    {{- return(text | lower | replace(' ', '') | replace('-', '') | replace('_', '')) -}}
{%- endmacro %}

{% macro canonical_value(column, canonical_values, aliases={}) -%}
    {#- The SPEC spelling of an enumeration value, matched regardless of case,
        spaces, hyphens and underscores; `aliases` maps other names onto
        canonical values. A value that matches nothing is kept as trimmed text,
        so the accepted_values test names it instead of hiding it. -#}
    case replace(replace(replace(lower(trim({{ column }})), ' ', ''), '-', ''), '_', '')
    {%- for alias, value in aliases.items() %}
        when '{{ dbt.escape_single_quotes(_match_key(alias)) }}' then '{{ dbt.escape_single_quotes(value) }}'
    {%- endfor %}
    {%- for value in canonical_values %}
        when '{{ dbt.escape_single_quotes(_match_key(value)) }}' then '{{ dbt.escape_single_quotes(value) }}'
    {%- endfor %}
        else {{ clean_text(column) }}
    end
{%- endmacro %}

{% macro canonical_stages() -%}
    {#- SPEC.md section 1, in canonical order. -#}
    {{ return([
        'Prospecting', 'Qualification', 'Proposal', 'Negotiation', 'Closed Won', 'Closed Lost'
    ]) }}
{%- endmacro %}

{% macro canonical_stage(column) -%}
    {#- The canonical stage of a CRM stage name, after the `stage_aliases` var. -#}
    {{ canonical_value(column, canonical_stages(), var('stage_aliases', {})) }}
{%- endmacro %}
