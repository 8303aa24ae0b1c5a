{#- Rep and month grain; team, region and company levels and quarter and year
    periods (SPEC.md section 3) are to be added to this table as they are
    built. -#}
with

quotas as (

    select * from {{ ref('stg_crm__quotas') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

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

final as (

    select
        'rep' as level,
        rep_months.rep_id as member_id,
        'month' as period_type,
        rep_months.month as period_start,
        rep_month_quotas.quota_amount,
        coalesce(rep_month_bookings.bookings_amount, 0) as bookings_amount,
        cast(coalesce(rep_month_bookings.bookings_amount, 0) as {{ type_double() }})
        / cast(nullif(rep_month_quotas.quota_amount, 0) as {{ type_double() }})
            as attainment

    from rep_months
    left join rep_month_quotas
        on
            rep_months.rep_id = rep_month_quotas.rep_id
            and rep_months.month = rep_month_quotas.month
    left join rep_month_bookings
        on
            rep_months.rep_id = rep_month_bookings.rep_id
            and rep_months.month = rep_month_bookings.month

)

select * from final
