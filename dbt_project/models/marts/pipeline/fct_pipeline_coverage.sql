{#- Coverage of the quarter of the run month and of the next one, as of the
    as-of date (SPEC.md section 2, "Pipeline coverage"). The open pipeline is
    that of the snapshot at the as-of date; quotas of the whole quarter count,
    also for its months after the run month, while bookings count only deals
    closed on or before the as-of date. -#}
{%- set current_quarter_start = 'cast(' ~ dbt.date_trunc('quarter', as_of_month()) ~ ' as date)' -%}
with

month_end_states as (

    select * from {{ ref('int_opportunity_month_end_states') }}

),

quotas as (

    select * from {{ ref('stg_crm__quotas') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

quarters as (

    select
        {{ current_quarter_start }} as quarter_start,
        0 as quarters_ahead,
        cast({{ dbt.dateadd('month', 3, current_quarter_start) }} as date) as next_quarter_start

    union all

    select
        cast({{ dbt.dateadd('month', 3, current_quarter_start) }} as date) as quarter_start,
        1 as quarters_ahead,
        cast({{ dbt.dateadd('month', 6, current_quarter_start) }} as date) as next_quarter_start

),

open_pipeline as (

    select
        month_end_states.rep_id,
        quarters.quarter_start,
        count(*) as open_count,
        sum(month_end_states.amount) as open_pipeline_amount

    from month_end_states
    inner join quarters
        on
            month_end_states.close_date >= quarters.quarter_start
            and month_end_states.close_date < quarters.next_quarter_start
    where
        month_end_states.is_open
        and month_end_states.month = {{ as_of_month() }}
    group by 1, 2

),

quarter_quotas as (

    select
        quotas.rep_id,
        quarters.quarter_start,
        sum(quotas.quota_amount) as quota_amount

    from quotas
    inner join quarters
        on
            quotas.month >= quarters.quarter_start
            and quotas.month < quarters.next_quarter_start
    group by 1, 2

),

quarter_bookings as (

    select
        opportunities.owner_rep_id as rep_id,
        quarters.quarter_start,
        sum(opportunities.amount) as bookings_amount

    from opportunities
    inner join quarters
        on
            opportunities.close_date >= quarters.quarter_start
            and opportunities.close_date < quarters.next_quarter_start
    where
        opportunities.is_won
        and opportunities.close_date <= {{ as_of_date() }}
    group by 1, 2

),

rep_quarters as (

    select
        rep_id,
        quarter_start
    from open_pipeline

    union distinct

    select
        rep_id,
        quarter_start
    from quarter_quotas

    union distinct

    select
        rep_id,
        quarter_start
    from quarter_bookings

),

remaining_quotas as (

    select
        rep_quarters.rep_id,
        rep_quarters.quarter_start,
        quarters.quarters_ahead,
        quarter_quotas.quota_amount,
        coalesce(open_pipeline.open_count, 0) as open_count,
        coalesce(open_pipeline.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(quarter_bookings.bookings_amount, 0) as bookings_amount,
        quarter_quotas.quota_amount - coalesce(quarter_bookings.bookings_amount, 0)
            as remaining_quota_amount

    from rep_quarters
    inner join quarters
        on rep_quarters.quarter_start = quarters.quarter_start
    left join open_pipeline
        on
            rep_quarters.rep_id = open_pipeline.rep_id
            and rep_quarters.quarter_start = open_pipeline.quarter_start
    left join quarter_quotas
        on
            rep_quarters.rep_id = quarter_quotas.rep_id
            and rep_quarters.quarter_start = quarter_quotas.quarter_start
    left join quarter_bookings
        on
            rep_quarters.rep_id = quarter_bookings.rep_id
            and rep_quarters.quarter_start = quarter_bookings.quarter_start

),

final as (

    select
        rep_id,
        quarter_start,
        quarters_ahead,
        open_count,
        open_pipeline_amount,
        quota_amount,
        bookings_amount,
        remaining_quota_amount,
        case
            when remaining_quota_amount > 0
                then
                    cast(open_pipeline_amount as {{ type_double() }})
                    / cast(remaining_quota_amount as {{ type_double() }})
        end as coverage

    from remaining_quotas

)

select * from final
