{#- Medians are computed with window functions (the middle one or two values
    of each group, averaged) rather than median() or percentile_cont, which
    are not available on every warehouse dbt supports: 2 * rank equals n + 1
    for the middle value of an odd count, n and n + 2 for the middle pair of
    an even count. -#}
with

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

leads as (

    select * from {{ ref('int_leads_responded') }}

),

calendar as (

    select * from {{ ref('int_months_enumerated') }}

),

closed_deals as (

    select
        owner_rep_id as rep_id,
        {{ month_start('close_date') }} as month,
        is_won,
        amount,
        {{ dbt.datediff('created_date', 'close_date', 'day') }}
            as sales_cycle_days

    from opportunities
    where
        (is_won or is_closed)
        and close_date <= {{ as_of_date() }}

),

rep_month_deals as (

    select
        rep_id,
        month,
        sum(case when is_won then amount else 0 end) as bookings_amount,
        sum(case when is_won then 0 else amount end) as lost_amount,
        count(case when is_won then 1 end) as won_count,
        count(case when not is_won then 1 end) as lost_count,
        sum(case when is_won then sales_cycle_days else 0 end) as sales_cycle_days_total,
        avg(case when is_won then cast(amount as {{ type_double() }}) end) as avg_deal_size,
        avg(case when is_won then cast(sales_cycle_days as {{ type_double() }}) end)
            as avg_sales_cycle_days

    from closed_deals
    group by 1, 2

),

ranked_sales_cycles as (

    select
        rep_id,
        month,
        sales_cycle_days,
        row_number() over (
            partition by rep_id, month
            order by sales_cycle_days
        ) as value_rank,
        count(*) over (partition by rep_id, month) as value_count

    from closed_deals
    where is_won

),

rep_month_sales_cycle_medians as (

    select
        rep_id,
        month,
        avg(cast(sales_cycle_days as {{ type_double() }})) as median_sales_cycle_days

    from ranked_sales_cycles
    where 2 * value_rank in (value_count, value_count + 1, value_count + 2)
    group by 1, 2

),

rep_month_activities as (

    select
        rep_id,
        {{ month_start('activity_at') }} as month,
        count(case when activity_type = 'call' then 1 end) as calls,
        count(case when activity_type = 'email' then 1 end) as emails,
        count(case when activity_type = 'meeting' then 1 end) as meetings,
        count(case when activity_type = 'demo' then 1 end) as demos,
        sum(
            case when activity_type = 'call' then coalesce(duration_minutes, 0) else 0 end
        ) as talk_minutes

    from activities
    where cast(activity_at as date) <= {{ as_of_date() }}
    group by 1, 2

),

rep_month_leads as (

    select
        owner_rep_id as rep_id,
        created_month as month,
        count(*) as leads_created,
        count(response_hours) as leads_contacted,
        coalesce(sum(response_hours), 0) as lead_response_hours_total,
        avg(response_hours) as avg_lead_response_hours

    from leads
    group by 1, 2

),

ranked_lead_responses as (

    select
        owner_rep_id as rep_id,
        created_month as month,
        response_hours,
        row_number() over (
            partition by owner_rep_id, created_month
            order by response_hours
        ) as value_rank,
        count(*) over (partition by owner_rep_id, created_month) as value_count

    from leads
    where response_hours is not null

),

rep_month_lead_response_medians as (

    select
        rep_id,
        month,
        avg(response_hours) as median_lead_response_hours

    from ranked_lead_responses
    where 2 * value_rank in (value_count, value_count + 1, value_count + 2)
    group by 1, 2

),

active_rep_months as (

    select
        rep_id,
        month
    from rep_month_deals

    union distinct

    select
        rep_id,
        month
    from rep_month_activities

    union distinct

    select
        rep_id,
        month
    from rep_month_leads

),

first_active_month as (

    select min(month) as month

    from active_rep_months

),

employed_rep_months as (

    select
        reps.rep_id,
        calendar.month

    from reps
    inner join calendar
        on
            {{ month_start('reps.hire_date') }} <= calendar.month
            and (
                reps.end_date is null
                or calendar.month <= {{ month_start('reps.end_date') }}
            )
    inner join first_active_month
        on calendar.month >= first_active_month.month
    where calendar.month <= {{ as_of_month() }}

),

rep_months as (

    select
        rep_id,
        month
    from active_rep_months

    union distinct

    select
        rep_id,
        month
    from employed_rep_months

),

final as (

    select
        rep_months.rep_id,
        rep_months.month,
        case
            when reps.rep_id is not null
                then
                    {{ month_start('reps.hire_date') }} <= rep_months.month
                    and (
                        reps.end_date is null
                        or rep_months.month <= {{ month_start('reps.end_date') }}
                    )
        end as is_employed,
        coalesce(rep_month_deals.bookings_amount, 0) as bookings_amount,
        coalesce(rep_month_deals.won_count, 0) as won_count,
        coalesce(rep_month_deals.lost_count, 0) as lost_count,
        coalesce(rep_month_deals.lost_amount, 0) as lost_amount,
        cast(rep_month_deals.won_count as {{ type_double() }})
        / nullif(rep_month_deals.won_count + rep_month_deals.lost_count, 0) as win_rate,
        cast(rep_month_deals.bookings_amount as {{ type_double() }})
        / cast(
            nullif(rep_month_deals.bookings_amount + rep_month_deals.lost_amount, 0)
            as {{ type_double() }}
        ) as value_win_rate,
        rep_month_deals.avg_deal_size,
        cast(coalesce(rep_month_deals.sales_cycle_days_total, 0) as {{ dbt.type_bigint() }})
            as sales_cycle_days_total,
        rep_month_deals.avg_sales_cycle_days,
        rep_month_sales_cycle_medians.median_sales_cycle_days,
        coalesce(rep_month_activities.calls, 0) as calls,
        coalesce(rep_month_activities.emails, 0) as emails,
        coalesce(rep_month_activities.meetings, 0) as meetings,
        coalesce(rep_month_activities.demos, 0) as demos,
        coalesce(rep_month_activities.talk_minutes, 0) as talk_minutes,
        coalesce(rep_month_leads.leads_created, 0) as leads_created,
        coalesce(rep_month_leads.leads_contacted, 0) as leads_contacted,
        coalesce(rep_month_leads.lead_response_hours_total, 0) as lead_response_hours_total,
        rep_month_leads.avg_lead_response_hours,
        rep_month_lead_response_medians.median_lead_response_hours

    from rep_months
    left join reps
        on rep_months.rep_id = reps.rep_id
    left join rep_month_deals
        on
            rep_months.rep_id = rep_month_deals.rep_id
            and rep_months.month = rep_month_deals.month
    left join rep_month_sales_cycle_medians
        on
            rep_months.rep_id = rep_month_sales_cycle_medians.rep_id
            and rep_months.month = rep_month_sales_cycle_medians.month
    left join rep_month_activities
        on
            rep_months.rep_id = rep_month_activities.rep_id
            and rep_months.month = rep_month_activities.month
    left join rep_month_leads
        on
            rep_months.rep_id = rep_month_leads.rep_id
            and rep_months.month = rep_month_leads.month
    left join rep_month_lead_response_medians
        on
            rep_months.rep_id = rep_month_lead_response_medians.rep_id
            and rep_months.month = rep_month_lead_response_medians.month

)

select * from final
