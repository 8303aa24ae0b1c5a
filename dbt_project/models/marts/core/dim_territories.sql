with

territories as (

    select * from {{ ref('stg_crm__territories') }}

),

final as (

    select
        territory_id,
        territory_name,
        region,
        owner_rep_id,
        annual_potential

    from territories

)

select * from final
