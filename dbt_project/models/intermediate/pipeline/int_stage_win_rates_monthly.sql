{#- Stage-to-win rates as of each month end E: among the opportunities whose
    outcome at E is closed (their last month-end state on or before E is
    Closed Won or Closed Lost), those that were open in a stage at an earlier
    month end, and the share of them that were won. Only states on or before
    E count, so a past month's rate never sees a later outcome. A closing
    holds from its month until the opportunity is reopened (its next state).
    The counts are cumulative sums of +1 at a closing and -1 at a reopening,
    per stage over the calendar. A table, unlike the rest of intermediate: as
    a view, each reader and test would recompute the counts. -#}
{{ config(materialized='table') }}
{%- set probabilities = stage_probabilities() -%}
with

month_end_states as (

    select * from {{ ref('int_opportunity_month_end_states') }}

),

calendar as (

    select * from {{ ref('int_months_enumerated') }}

),

open_stages as (

    {%- for stage_name in probabilities %}
        select '{{ stage_name }}' as stage
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

sequenced_states as (

    select
        opportunity_id,
        month,
        stage,
        is_open,
        lead(month) over (
            partition by opportunity_id
            order by month
        ) as next_month

    from month_end_states

),

closings as (

    select
        opportunity_id,
        month as closed_month,
        next_month as reopened_month,
        stage = 'Closed Won' as is_won

    from sequenced_states
    where not is_open

),

closed_stage_visits as (

    select distinct
        closings.opportunity_id,
        closings.closed_month,
        closings.reopened_month,
        closings.is_won,
        sequenced_states.stage

    from closings
    inner join sequenced_states
        on
            closings.opportunity_id = sequenced_states.opportunity_id
            and closings.closed_month > sequenced_states.month
    where sequenced_states.is_open

),

outcome_changes as (

    select
        closed_month as month,
        stage,
        1 as closed_change,
        case when is_won then 1 else 0 end as won_change

    from closed_stage_visits

    union all

    select
        reopened_month as month,
        stage,
        -1 as closed_change,
        case when is_won then -1 else 0 end as won_change

    from closed_stage_visits
    where reopened_month is not null

),

monthly_changes as (

    select
        month,
        stage,
        sum(closed_change) as closed_change,
        sum(won_change) as won_change

    from outcome_changes
    group by 1, 2

),

first_state_month as (

    select min(month) as first_month

    from month_end_states

),

stage_months as (

    select
        calendar.month,
        open_stages.stage

    from calendar
    inner join first_state_month
        on calendar.month >= first_state_month.first_month
    cross join open_stages

),

outcomes as (

    select
        stage_months.month,
        stage_months.stage,
        cast(sum(coalesce(monthly_changes.closed_change, 0)) over (
            partition by stage_months.stage
            order by stage_months.month
            rows between unbounded preceding and current row
        ) as {{ dbt.type_int() }}) as closed_count,
        cast(sum(coalesce(monthly_changes.won_change, 0)) over (
            partition by stage_months.stage
            order by stage_months.month
            rows between unbounded preceding and current row
        ) as {{ dbt.type_int() }}) as won_count

    from stage_months
    left join monthly_changes
        on
            stage_months.month = monthly_changes.month
            and stage_months.stage = monthly_changes.stage

),

final as (

    select
        month,
        stage,
        closed_count,
        won_count,
        cast(won_count as {{ type_double() }}) / nullif(closed_count, 0) as historical_win_rate,
        case
            when closed_count >= {{ var('stage_win_rate_min_closed') }}
                then cast(won_count as {{ type_double() }}) / closed_count
            else {{ stage_case('stage', probabilities) }}
        end as stage_win_rate,
        case
            when closed_count >= {{ var('stage_win_rate_min_closed') }} then 'history'
            else 'stage_probability'
        end as win_rate_source

    from outcomes

)

select * from final
