"""The Salesforce Data Export files Rapport reads and writes, and how their values map.

One place for the contract between the importer and the exporter: the file of each object, the
API field names read and written (in the order written), and the value tables between
Salesforce's picklists and Rapport's choices. Fields named ``Rapport_…__c`` are custom fields
that carry what standard Salesforce has no field for, so that a round trip loses nothing; an
export from a real Salesforce org simply lacks them and the importer falls back to defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport.accounts.choices import Industry, LifecycleStage, Segment, TeamRole, Tier
from rapport.communications.choices import TouchpointKind
from rapport.revenue.choices import ForecastCategory, OpportunityType


@dataclass(frozen=True)
class SalesforceObject:
    """One object of a Data Export: its file, the fields Rapport knows and the required ones."""

    name: str
    fields: tuple[str, ...]
    required: tuple[str, ...] = ("Id",)
    # The three-character key prefix of its Ids: the object an Id of unknown kind points to.
    prefix: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


USER = SalesforceObject(
    "User",
    ("Id", "FirstName", "LastName", "Email", "Title", "IsActive", "LanguageLocaleKey"),
    required=("Id", "Email"),
    prefix="005",
)
ACCOUNT = SalesforceObject(
    "Account",
    (
        "Id",
        "IsDeleted",
        "Name",
        "ParentId",
        "Industry",
        "BillingCountry",
        "Website",
        "NumberOfEmployees",
        "Description",
        "OwnerId",
        "Rapport_Legal_Name__c",
        "Rapport_Domain__c",
        "Rapport_Tier__c",
        "Rapport_Segment__c",
        "Rapport_Lifecycle_Stage__c",
    ),
    required=("Id", "Name"),
    prefix="001",
)
CONTACT = SalesforceObject(
    "Contact",
    (
        "Id",
        "IsDeleted",
        "AccountId",
        "FirstName",
        "LastName",
        "Title",
        "Department",
        "Email",
        "Phone",
        "ReportsToId",
        "Description",
    ),
    required=("Id", "LastName", "AccountId"),
    prefix="003",
)
ACCOUNT_CONTACT_RELATION = SalesforceObject(
    "AccountContactRelation",
    ("Id", "IsDeleted", "AccountId", "ContactId", "Roles", "IsDirect", "StartDate", "EndDate"),
    required=("Id", "AccountId", "ContactId"),
    prefix="07k",
)
ACCOUNT_TEAM_MEMBER = SalesforceObject(
    "AccountTeamMember",
    ("Id", "IsDeleted", "AccountId", "UserId", "TeamMemberRole"),
    required=("Id", "AccountId", "UserId"),
    prefix="01M",
)
PRODUCT = SalesforceObject(
    "Product2",
    ("Id", "IsDeleted", "Name", "ProductCode", "Family", "IsActive", "Description"),
    required=("Id", "Name"),
    prefix="01t",
)
CONTRACT = SalesforceObject(
    "Contract",
    (
        "Id",
        "IsDeleted",
        "AccountId",
        "ContractNumber",
        "Status",
        "StartDate",
        "EndDate",
        "CurrencyIsoCode",
        "Description",
        "Rapport_Status__c",
        "Rapport_Auto_Renew__c",
        "Rapport_Notice_Days__c",
    ),
    required=("Id", "AccountId", "StartDate"),
    prefix="800",
)
OPPORTUNITY = SalesforceObject(
    "Opportunity",
    (
        "Id",
        "IsDeleted",
        "AccountId",
        "Name",
        "Type",
        "StageName",
        "Amount",
        "CurrencyIsoCode",
        "CloseDate",
        "Probability",
        "ForecastCategoryName",
        "IsClosed",
        "IsWon",
        "ContractId",
        "OwnerId",
        "NextStep",
        "Description",
    ),
    required=("Id", "AccountId", "Name", "StageName", "CloseDate"),
    prefix="006",
)
OPPORTUNITY_CONTACT_ROLE = SalesforceObject(
    "OpportunityContactRole",
    ("Id", "IsDeleted", "OpportunityId", "ContactId", "Role", "IsPrimary"),
    required=("Id", "OpportunityId", "ContactId"),
    prefix="00K",
)
OPPORTUNITY_LINE_ITEM = SalesforceObject(
    "OpportunityLineItem",
    ("Id", "IsDeleted", "OpportunityId", "Product2Id", "Quantity", "UnitPrice"),
    required=("Id", "OpportunityId", "Product2Id"),
    prefix="00k",
)
TASK = SalesforceObject(
    "Task",
    (
        "Id",
        "IsDeleted",
        "WhoId",
        "WhatId",
        "Subject",
        "ActivityDate",
        "Status",
        "IsClosed",
        "TaskSubtype",
        "Type",
        "CallDurationInSeconds",
        "OwnerId",
        "Description",
        "Rapport_Kind__c",
        "Rapport_Sentiment__c",
        "Rapport_Occurred_At__c",
    ),
    required=("Id",),
    prefix="00T",
)
EVENT = SalesforceObject(
    "Event",
    (
        "Id",
        "IsDeleted",
        "WhoId",
        "WhatId",
        "Subject",
        "ActivityDate",
        "StartDateTime",
        "DurationInMinutes",
        "Type",
        "OwnerId",
        "Description",
        "Rapport_Kind__c",
        "Rapport_Sentiment__c",
    ),
    required=("Id",),
    prefix="00U",
)
# Kept whole (every column) until Rapport has an object for client issues.
CASE = SalesforceObject("Case", ("Id",), required=("Id",), prefix="500")

# In the order they are imported: each refers only to objects before it (a second pass sets
# the references within one object, ParentId and ReportsToId).
OBJECTS: tuple[SalesforceObject, ...] = (
    USER,
    ACCOUNT,
    CONTACT,
    ACCOUNT_CONTACT_RELATION,
    ACCOUNT_TEAM_MEMBER,
    PRODUCT,
    CONTRACT,
    OPPORTUNITY,
    OPPORTUNITY_CONTACT_ROLE,
    OPPORTUNITY_LINE_ITEM,
    TASK,
    EVENT,
    CASE,
)
BY_NAME = {sobject.name: sobject for sobject in OBJECTS}
BY_PREFIX = {sobject.prefix: sobject for sobject in OBJECTS}

# Salesforce's standard Industry picklist, to Rapport's industries (unknown values: empty).
INDUSTRY_FROM_SALESFORCE: dict[str, str] = {
    "Manufacturing": Industry.MANUFACTURING,
    "Machinery": Industry.MANUFACTURING,
    "Chemicals": Industry.MANUFACTURING,
    "Banking": Industry.FINANCIAL_SERVICES,
    "Finance": Industry.FINANCIAL_SERVICES,
    "Insurance": Industry.FINANCIAL_SERVICES,
    "Healthcare": Industry.HEALTHCARE,
    "Retail": Industry.RETAIL,
    "Consumer Goods": Industry.RETAIL,
    "Food & Beverage": Industry.RETAIL,
    "Technology": Industry.SOFTWARE,
    "Software": Industry.SOFTWARE,
    "Energy": Industry.ENERGY,
    "Utilities": Industry.ENERGY,
    "Transportation": Industry.LOGISTICS,
    "Shipping": Industry.LOGISTICS,
    "Telecommunications": Industry.TELECOMMUNICATIONS,
    "Communications": Industry.TELECOMMUNICATIONS,
    "Government": Industry.PUBLIC_SECTOR,
    "Education": Industry.EDUCATION,
    "Media": Industry.MEDIA,
    "Entertainment": Industry.MEDIA,
    "Consulting": Industry.PROFESSIONAL_SERVICES,
    "Engineering": Industry.PROFESSIONAL_SERVICES,
}
INDUSTRY_TO_SALESFORCE: dict[str, str] = {
    Industry.MANUFACTURING: "Manufacturing",
    Industry.FINANCIAL_SERVICES: "Finance",
    Industry.HEALTHCARE: "Healthcare",
    Industry.RETAIL: "Retail",
    Industry.SOFTWARE: "Technology",
    Industry.ENERGY: "Energy",
    Industry.LOGISTICS: "Transportation",
    Industry.TELECOMMUNICATIONS: "Telecommunications",
    Industry.PUBLIC_SECTOR: "Government",
    Industry.EDUCATION: "Education",
    Industry.MEDIA: "Media",
    Industry.PROFESSIONAL_SERVICES: "Consulting",
}

# Opportunity Type. "Renewal" is the common custom value; a downgrade is a renewal for less.
OPPORTUNITY_TYPE_FROM_SALESFORCE: dict[str, str] = {
    "New Customer": OpportunityType.NEW_BUSINESS,
    "New Business": OpportunityType.NEW_BUSINESS,
    "Existing Customer - Upgrade": OpportunityType.UPSELL,
    "Existing Customer - Replacement": OpportunityType.CROSS_SELL,
    "Existing Customer - Downgrade": OpportunityType.RENEWAL,
    "Renewal": OpportunityType.RENEWAL,
}
OPPORTUNITY_TYPE_TO_SALESFORCE: dict[str, str] = {
    OpportunityType.NEW_BUSINESS: "New Customer",
    OpportunityType.UPSELL: "Existing Customer - Upgrade",
    OpportunityType.CROSS_SELL: "Existing Customer - Replacement",
    OpportunityType.RENEWAL: "Renewal",
}

FORECAST_CATEGORY_FROM_SALESFORCE: dict[str, str] = {
    "Commit": ForecastCategory.COMMIT,
    "Closed": ForecastCategory.COMMIT,
    "Best Case": ForecastCategory.BEST_CASE,
    "Pipeline": ForecastCategory.PIPELINE,
    "Omitted": ForecastCategory.OMITTED,
}
FORECAST_CATEGORY_TO_SALESFORCE: dict[str, str] = {
    ForecastCategory.COMMIT: "Commit",
    ForecastCategory.BEST_CASE: "Best Case",
    ForecastCategory.PIPELINE: "Pipeline",
    ForecastCategory.OMITTED: "Omitted",
}

TEAM_ROLE_FROM_SALESFORCE: dict[str, str] = {
    "Account Manager": TeamRole.ACCOUNT_MANAGER,
    "Customer Success Manager": TeamRole.ACCOUNT_MANAGER,
    "Account Executive": TeamRole.ACCOUNT_EXECUTIVE,
    "Sales Rep": TeamRole.ACCOUNT_EXECUTIVE,
    "Executive Sponsor": TeamRole.EXECUTIVE_SPONSOR,
    "Customer Support": TeamRole.SUPPORT_LEAD,
    "Support Lead": TeamRole.SUPPORT_LEAD,
    "Pre-Sales Consultant": TeamRole.SALES_ENGINEER,
    "Technical Sales": TeamRole.SALES_ENGINEER,
    "Sales Engineer": TeamRole.SALES_ENGINEER,
    "Marketing": TeamRole.MARKETING,
}
TEAM_ROLE_TO_SALESFORCE: dict[str, str] = {
    TeamRole.ACCOUNT_MANAGER: "Account Manager",
    TeamRole.ACCOUNT_EXECUTIVE: "Account Executive",
    TeamRole.EXECUTIVE_SPONSOR: "Executive Sponsor",
    TeamRole.SUPPORT_LEAD: "Support Lead",
    TeamRole.SALES_ENGINEER: "Sales Engineer",
    TeamRole.MARKETING: "Marketing",
    TeamRole.OTHER: "Other",
}

# Activities: a Task of these subtypes or types is an exchange already held (a touchpoint);
# any other Task is a follow-up to do. Every Event is a meeting held or planned.
TOUCHPOINT_KIND_FROM_TASK: dict[str, str] = {
    "Call": TouchpointKind.CALL,
    "Email": TouchpointKind.EMAIL,
    "ListEmail": TouchpointKind.EMAIL,
    "Meeting": TouchpointKind.MEETING,
}
# Kinds exported as Events; the others as Tasks with these subtypes (and Rapport_Kind__c).
EVENT_KINDS: frozenset[str] = frozenset(
    {TouchpointKind.MEETING, TouchpointKind.BUSINESS_REVIEW, TouchpointKind.SITE_VISIT}
)
TASK_SUBTYPE_OF_KIND: dict[str, str] = {
    TouchpointKind.CALL: "Call",
    TouchpointKind.EMAIL: "Email",
    TouchpointKind.CHAT: "Task",
    TouchpointKind.NOTE: "Task",
}

ACCOUNT_CHOICES = {
    "Rapport_Tier__c": Tier,
    "Rapport_Segment__c": Segment,
    "Rapport_Lifecycle_Stage__c": LifecycleStage,
}
