{#- Quota attainment by rep, team, region and company, by month, quarter and
    year (SPEC.md sections 2 and 3). Every row sums the rep-months in it:
    bookings and quotas add up, ratios are never averaged. Periods run up to
    the run month, so the run month's quarter and year are to date. -#}
with

quotas as (

    select * from {{ ref('stg_crm__quotas') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

rep_month_quotas as (

    select
        rep_id,
        month,
        quota_amount

    from quotas
    where month <= {{ as_of_month() }}

),

rep_month_bookings as (

    select
        owner_rep_id as rep_id,
        {{ month_start('close_date') }} as month,
        sum(amount) as bookings_amount

    from opportunities
    where
        is_won
        and close_date <= {{ as_of_date() }}
    group by 1, 2

),

rep_months as (

    select
        rep_id,
        month
    from rep_month_quotas

    union distinct

    select
        rep_id,
        month
    from rep_month_bookings

),

rep_month_totals as (

    select
        rep_months.rep_id,
        rep_months.month,
        reps.team,
        reps.region,
        rep_month_quotas.quota_amount,
        coalesce(rep_month_bookings.bookings_amount, 0) as bookings_amount

    from rep_months
    left join rep_month_quotas
        on
            rep_months.rep_id = rep_month_quotas.rep_id
            and rep_months.month = rep_month_quotas.month
    left join rep_month_bookings
        on
            rep_months.rep_id = rep_month_bookings.rep_id
            and rep_months.month = rep_month_bookings.month
    left join reps
        on rep_months.rep_id = reps.rep_id

),

member_months as (

    select
        'rep' as level,
        rep_id as member_id,
        month,
        quota_amount,
        bookings_amount
    from rep_month_totals

    union all

    select
        'team' as level,
        team as member_id,
        month,
        quota_amount,
        bookings_amount
    from rep_month_totals
    where team is not null

    union all

    select
        'region' as level,
        region as member_id,
        month,
        quota_amount,
        bookings_amount
    from rep_month_totals
    where region is not null

    union all

    select
        'company' as level,
        'ALL' as member_id,
        month,
        quota_amount,
        bookings_amount
    from rep_month_totals

),

member_period_months as (

    select
        level,
        member_id,
        'month' as period_type,
        month as period_start,
        quota_amount,
        bookings_amount
    from member_months

    union all

    select
        level,
        member_id,
        'quarter' as period_type,
        cast({{ dbt.date_trunc('quarter', 'month') }} as date) as period_start,
        quota_amount,
        bookings_amount
    from member_months

    union all

    select
        level,
        member_id,
        'year' as period_type,
        cast({{ dbt.date_trunc('year', 'month') }} as date) as period_start,
        quota_amount,
        bookings_amount
    from member_months

),

member_periods as (

    select
        level,
        member_id,
        period_type,
        period_start,
        sum(quota_amount) as quota_amount,
        sum(bookings_amount) as bookings_amount

    from member_period_months
    group by 1, 2, 3, 4

),

final as (

    select
        level,
        member_id,
        period_type,
        period_start,
        quota_amount,
        bookings_amount,
        cast(bookings_amount as {{ type_double() }})
        / cast(nullif(quota_amount, 0) as {{ type_double() }})
            as attainment,
        case period_type
            when 'quarter'
                then {{ dbt.dateadd('month', 2, 'period_start') }} <= {{ as_of_month() }}
            when 'year'
                then {{ dbt.dateadd('month', 11, 'period_start') }} <= {{ as_of_month() }}
            else true
        end as is_period_complete

    from member_periods

)

select * from final
