{#- The one place where stage changes are put in order (SPEC.md section 2,
    "Pipeline snapshot"): by entered_at, and of two rows with the same
    entered_at the later stage in canonical order is the later one. Rows
    entered after the as-of date do not count in this run. -#}
with

opportunity_history as (

    select * from {{ ref('stg_crm__opportunity_history') }}

),

history_to_date as (

    select
        opportunity_id,
        stage,
        case stage
            {%- for stage_name in canonical_stages() %}
                when '{{ stage_name }}' then {{ loop.index }}
            {%- endfor %}
        end as stage_order,
        entered_at,
        amount,
        close_date,
        source_row

    from opportunity_history
    where cast(entered_at as date) <= {{ as_of_date() }}

),

final as (

    select
        opportunity_id,
        stage,
        stage_order,
        entered_at,
        amount,
        close_date,
        row_number() over (
            partition by opportunity_id
            order by entered_at, stage_order, source_row
        ) as stage_entry_seq,
        stage in ('Closed Won', 'Closed Lost') as is_closed_stage,
        lead(entered_at) over (
            partition by opportunity_id
            order by entered_at, stage_order, source_row
        ) as next_entered_at,
        lead(stage) over (
            partition by opportunity_id
            order by entered_at, stage_order, source_row
        ) as next_stage,
        lead(stage_order) over (
            partition by opportunity_id
            order by entered_at, stage_order, source_row
        ) as next_stage_order

    from history_to_date

)

select * from final
