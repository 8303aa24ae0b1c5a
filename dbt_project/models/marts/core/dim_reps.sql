with

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

final as (

    select
        rep_id,
        rep_name,
        team,
        region,
        role,
        manager_id,
        hire_date,
        end_date

    from reps

)

select * from final
