{#- One row per stage visit. A closed deal sits in no stage, so its current
    Closed Won or Closed Lost row has no days_in_stage. A skip is a move
    forward past at least one canonical stage, Closed Won counting as the
    stage after Negotiation; Closed Lost may follow any stage, so a move to it
    is never a skip. -#}
with

history as (

    select * from {{ ref('int_opportunity_history_sequenced') }}

),

final as (

    select
        opportunity_id,
        stage_entry_seq,
        stage,
        is_closed_stage,
        entered_at,
        next_entered_at as exited_at,
        next_entered_at is null as is_current,
        case
            when next_entered_at is not null or not is_closed_stage
                then {{ dbt.datediff(
                    'cast(entered_at as date)',
                    'coalesce(cast(next_entered_at as date), ' ~ as_of_date() ~ ')',
                    'day'
                ) }}
        end as days_in_stage,
        amount as amount_at_entry,
        close_date as close_date_at_entry,
        next_stage,
        coalesce(next_stage_order between stage_order + 2 and 5, false) as is_skip,
        case
            when next_stage_order between stage_order + 2 and 5
                then next_stage_order - stage_order - 1
            else 0
        end as stages_skipped

    from history

)

select * from final
