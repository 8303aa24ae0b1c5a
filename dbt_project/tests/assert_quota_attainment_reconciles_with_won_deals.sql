{#- Every won deal closed on or before the as-of date is booked once: per
    rep, the rep-month bookings add up to the amounts of those deals. Fails
    with each rep whose totals differ. -#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

quota_attainment as (

    select * from {{ ref('fct_quota_attainment') }}

),

won_totals as (

    select
        owner_rep_id as rep_id,
        sum(amount) as bookings_amount

    from opportunities
    where
        is_won
        and close_date <= {{ as_of_date() }}
    group by 1

),

booked_totals as (

    select
        member_id as rep_id,
        sum(bookings_amount) as bookings_amount

    from quota_attainment
    where
        level = 'rep'
        and period_type = 'month'
    group by 1

),

differences as (

    select
        won_totals.bookings_amount as won_amount,
        booked_totals.bookings_amount as booked_amount,
        coalesce(won_totals.rep_id, booked_totals.rep_id) as rep_id

    from won_totals
    full outer join booked_totals
        on won_totals.rep_id = booked_totals.rep_id
    where coalesce(won_totals.bookings_amount, 0) <> coalesce(booked_totals.bookings_amount, 0)

)

select * from differences
