{#- The waterfall's closing amount of each rep and month is the open pipeline
    of fct_pipeline_snapshot at that month end: both read the same month-end
    states, and this keeps them from drifting apart. Fails with each rep-month
    whose amounts differ by more than a cent. -#}
with

waterfall as (

    select * from {{ ref('fct_pipeline_waterfall') }}

),

snapshot as (

    select * from {{ ref('fct_pipeline_snapshot') }}

),

snapshot_totals as (

    select
        snapshot_month as month,
        rep_id,
        sum(open_amount) as open_amount

    from snapshot
    group by 1, 2

),

final as (

    select
        coalesce(waterfall.month, snapshot_totals.month) as month,
        coalesce(waterfall.rep_id, snapshot_totals.rep_id) as rep_id,
        coalesce(waterfall.closing_amount, 0) as waterfall_closing_amount,
        coalesce(snapshot_totals.open_amount, 0) as snapshot_open_amount

    from waterfall
    full outer join snapshot_totals
        on
            waterfall.month = snapshot_totals.month
            and waterfall.rep_id = snapshot_totals.rep_id

)

select * from final
where abs(waterfall_closing_amount - snapshot_open_amount) > 0.01
