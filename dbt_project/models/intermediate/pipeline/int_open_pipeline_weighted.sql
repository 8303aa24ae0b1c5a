{#- Every opportunity open at a month end E, with what a forecast needs: its
    region, product and quantity, the month it is expected to close, its
    forecast category, and its amount weighted by stage probability and by
    the stage-to-win rate as of E. The base of the pipeline views of
    fct_sales_forecast, and of open quantities by product and close month.
    The forecast category is the CRM record's while the record is open in the
    same stage as at E (the category a rep set); otherwise, for a past state,
    the one mapped from the stage (var stage_forecast_categories). A close
    date on or before E (an overdue deal) is expected in the month after E.
    A table, unlike the rest of intermediate: Python assets and GX checks read
    it, and as a view it would recompute the month-end states for each. -#}
{{ config(materialized='table') }}
{%- set probabilities = stage_probabilities() -%}
with

month_end_states as (

    select * from {{ ref('int_opportunity_month_end_states') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

win_rates as (

    select * from {{ ref('int_stage_win_rates_monthly') }}

),

open_states as (

    select
        month,
        opportunity_id,
        rep_id,
        stage,
        amount,
        close_date,
        {{ month_start('close_date') }} as close_month,
        {{ stage_case('stage', probabilities) }} as stage_probability

    from month_end_states
    where is_open

),

final as (

    select
        open_states.month,
        open_states.opportunity_id,
        open_states.rep_id,
        coalesce(reps.region, 'Unknown') as region,
        accounts.region as account_region,
        opportunities.product_id,
        opportunities.quantity,
        open_states.stage,
        case
            when
                not opportunities.is_closed
                and opportunities.stage = open_states.stage
                and opportunities.forecast_category in (
                    'Pipeline', 'Best Case', 'Commit', 'Omitted'
                )
                then opportunities.forecast_category
            else {{ stage_case('open_states.stage', stage_forecast_categories()) }}
        end as forecast_category,
        open_states.amount,
        open_states.close_date,
        open_states.close_month,
        case
            when open_states.close_month > open_states.month then open_states.close_month
            else cast({{ dbt.dateadd('month', 1, 'open_states.month') }} as date)
        end as expected_close_month,
        open_states.stage_probability,
        open_states.amount * open_states.stage_probability as weighted_amount,
        win_rates.stage_win_rate,
        win_rates.win_rate_source,
        open_states.amount * win_rates.stage_win_rate as win_rate_weighted_amount

    from open_states
    inner join opportunities
        on open_states.opportunity_id = opportunities.opportunity_id
    left join reps
        on open_states.rep_id = reps.rep_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join win_rates
        on
            open_states.month = win_rates.month
            and open_states.stage = win_rates.stage

)

select * from final
