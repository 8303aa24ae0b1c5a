{#- Bookings (SPEC.md section 2) by the owner rep's region: the actuals that
    the bookings forecast (fct_sales_forecast) is fitted on and scored
    against. A region is listed from its first month with bookings to the run
    month, with zeros in the months without, as the demand history does. -#}
with

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

calendar as (

    select * from {{ ref('int_months_enumerated') }}

),

won_deals as (

    select
        coalesce(reps.region, 'Unknown') as region,
        {{ month_start('opportunities.close_date') }} as month,
        opportunities.amount

    from opportunities
    left join reps
        on opportunities.owner_rep_id = reps.rep_id
    where
        opportunities.is_won
        and opportunities.close_date <= {{ as_of_date() }}

),

monthly_bookings as (

    select
        region,
        month,
        sum(amount) as bookings_amount,
        count(*) as won_count

    from won_deals
    group by 1, 2

),

region_starts as (

    select
        region,
        min(month) as first_month

    from monthly_bookings
    group by 1

),

region_months as (

    select
        region_starts.region,
        calendar.month

    from region_starts
    inner join calendar
        on region_starts.first_month <= calendar.month

),

final as (

    select
        region_months.region,
        region_months.month,
        coalesce(monthly_bookings.bookings_amount, 0) as bookings_amount,
        coalesce(monthly_bookings.won_count, 0) as won_count

    from region_months
    left join monthly_bookings
        on
            region_months.region = monthly_bookings.region
            and region_months.month = monthly_bookings.month

)

select * from final
