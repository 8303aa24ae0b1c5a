{#- Stage probabilities: the defaults of SPEC.md section 2, updated by the
    var `stage_probabilities` (a mapping of open stage to a fraction), so a
    run may override one stage and keep the others. -#}
{%- set default_probabilities = {
    'Prospecting': 0.10,
    'Qualification': 0.20,
    'Proposal': 0.50,
    'Negotiation': 0.75
} -%}
{%- set stage_probabilities = dict(default_probabilities) -%}
{%- do stage_probabilities.update(var('stage_probabilities', default_probabilities)) -%}
{%- for stage_name, probability in stage_probabilities.items() -%}
    {%- if stage_name not in default_probabilities
        or probability is not number or probability < 0 or probability > 1 -%}
        {{ exceptions.raise_compiler_error(
            "var stage_probabilities maps an open stage (" ~ default_probabilities.keys() | join(', ')
            ~ ") to a fraction between 0 and 1, got " ~ stage_name ~ ": " ~ probability
        ) }}
    {%- endif -%}
{%- endfor -%}
with

month_end_states as (

    select * from {{ ref('int_opportunity_month_end_states') }}

),

open_states as (

    select
        month,
        rep_id,
        stage,
        amount,
        amount * case stage
            {%- for stage_name, probability in stage_probabilities.items() %}
                when '{{ stage_name }}' then {{ probability }}
            {%- endfor %}
        end as weighted_amount

    from month_end_states
    where is_open

),

final as (

    select
        month as snapshot_month,
        cast({{ dbt.last_day('month', 'month') }} as date) as snapshot_date,
        rep_id,
        stage,
        count(*) as open_count,
        sum(amount) as open_amount,
        sum(weighted_amount) as weighted_amount

    from open_states
    group by 1, 2, 3, 4

)

select * from final
