#!/usr/bin/python3
"""Seed a fresh Tryton 6.0 database with the ledger Revtrail posts to.

Run with Debian's interpreter (proteus lives in /usr/lib/python3/dist-packages; a pyenv python3 cannot import it):
    /usr/bin/python3 setup_ledger.py CONF DBNAME YEAR
Creates USD, one company, the "Minimal Account Chart", the
accounts in ACCOUNTS (coded, no party required, so summary journal lines need no party), fiscal year YEAR with
monthly periods and a posting sequence, and the general journal LSYNC; prints the record ids as JSON on stdout.
"""
import datetime
import json
import sys
from decimal import Decimal

from proteus import Model, Wizard, config as pconfig

conf_file, dbname, year = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg = pconfig.set_trytond(dbname, config_file=conf_file)

Currency = Model.get('currency.currency')
CurrencyRate = Model.get('currency.currency.rate')
Party = Model.get('party.party')
Company = Model.get('company.company')
User = Model.get('res.user')

usd = Currency(name='U.S. Dollar', symbol='$', code='USD', rounding=Decimal('0.01'), digits=2)
usd.save()
CurrencyRate(date=datetime.date.min, rate=Decimal('1'), currency=usd).save()
# A second currency for translated journals (move lines' second_currency: a USD company's EUR contracts).
eur = Currency(name='Euro', symbol='EUR', code='EUR', rounding=Decimal('0.01'), digits=2)
eur.save()

# The company wizard also attaches the company to the admin user; reload the context so creates see it.
cw = Wizard('company.company.config')
cw.execute('company')
party = Party(name='Revtrail Test Co')
party.save()
cw.form.party = party
cw.form.currency = usd
cw.execute('add')
company, = Company.find()
cfg._context = User.get_preferences(True, {})

ModelData = Model.get('ir.model.data')
AccountTemplate = Model.get('account.account.template')
data, = ModelData.find([('module', '=', 'account'), ('fs_id', '=', 'account_template_root_en')])
cc = Wizard('account.create_chart')
cc.execute('account')
cc.form.account_template = AccountTemplate(data.db_id)
cc.form.company = company
cc.execute('create_account')
Account = Model.get('account.account')
main_rec, = Account.find([('name', '=', 'Main Receivable')])
main_pay, = Account.find([('name', '=', 'Main Payable')])
cc.form.account_receivable = main_rec
cc.form.account_payable = main_pay
cc.execute('create_properties')

AccountType = Model.get('account.account.type')
# The minimal chart has two types named "Current" (under Asset and under Liability): pick by parent.
types = {
    'receivable': AccountType.find([('receivable', '=', True)])[0],
    'current_asset': AccountType.find([('name', '=', 'Current'), ('parent.name', '=', 'Asset')])[0],
    'current_liability': AccountType.find([('name', '=', 'Current'), ('parent.name', '=', 'Liability')])[0],
    'tax': AccountType.find([('name', '=', 'Tax'), ('parent.name', '=', 'Current')])[0],
    'revenue': AccountType.find([('revenue', '=', True)])[0],
}
root, = Account.find([('parent', '=', None)])

# The accounts Revtrail's journals use (code, name, type, extra fields).
ACCOUNTS = [
    ('1100', 'Accounts Receivable', 'receivable', {'reconcile': True}),
    ('1300', 'Contract Asset', 'current_asset', {}),
    ('2200', 'Tax Payable', 'tax', {}),
    ('2400', 'Deferred Revenue', 'current_liability', {}),
    ('4000', 'Revenue', 'revenue', {}),
    ('4010', 'Revenue - Subscriptions', 'revenue', {}),
    ('4100', 'Revenue - Services', 'revenue', {}),
    ('4200', 'Revenue - Usage', 'revenue', {}),
    ('4300', 'Revenue - Licences', 'revenue', {}),
]
accounts = {}
for code, name, type_key, extra in ACCOUNTS:
    a = Account(code=code, name=name, type=types[type_key], parent=root, party_required=False, **extra)
    a.save()
    accounts[code] = a.id

# In 6.0 the fiscal year's posting sequence is `post_move_sequence`, an ir.sequence of type "Account Move".
FiscalYear = Model.get('account.fiscalyear')
Sequence = Model.get('ir.sequence')
SequenceType = Model.get('ir.sequence.type')
st, = SequenceType.find([('name', '=', 'Account Move')])
seq = Sequence(name=str(year), sequence_type=st, company=company)
seq.save()
fy = FiscalYear(name=str(year), start_date=datetime.date(year, 1, 1), end_date=datetime.date(year, 12, 31),
    company=company, post_move_sequence=seq)
fy.save()
fy.click('create_period')  # monthly by default
fy.reload()

# The account module ships REV/EXP/CASH/STO; Revtrail posts to its own general journal.
Journal = Model.get('account.journal')
rev_journal, = Journal.find([('code', '=', 'REV')])
lsync = Journal(name='Ledger Sync', code='LSYNC', type='general', sequence=rev_journal.sequence)
lsync.save()

print(json.dumps({
    'company': company.id,
    'currency': usd.id,
    'journal': lsync.id,
    'accounts': accounts,
    'fiscalyear': fy.id,
    'periods': {p.start_date.isoformat()[:7]: p.id for p in fy.periods},
}))
