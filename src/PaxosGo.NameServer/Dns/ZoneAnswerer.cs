using ARSoft.Tools.Net.Dns;
using PaxosGo.NameServer.Zones;

namespace PaxosGo.NameServer.Dns;

/// <summary>
/// How a node answers one DNS query from the zones it serves, authoritatively: records of the asked
/// type (following CNAMEs inside the zone), NODATA (no error, no answer, the SOA in the authority
/// section) for a name without that type, NXDOMAIN with the SOA for a name the zone lacks, and
/// REFUSED for a name outside every zone (or a class other than IN and ANY). Pure: the same query and zones give the same answer.
/// Not served: delegations below a zone's apex, wildcards, DNSSEC, zone transfers.
/// </summary>
public static class ZoneAnswerer
{
    /// <summary>The EDNS UDP payload size this server advertises and the most it sends over UDP (the DNS flag day's 1232).</summary>
    public const ushort MaxUdpPayload = 1232;

    /// <summary>CNAMEs followed inside a zone at most (a loop ends here).</summary>
    public const int MaxCnameChain = 8;

    /// <summary>The response to <paramref name="query"/>, or null when it must not be answered (it is itself a response).</summary>
    public static DnsMessage? Answer(DnsMessage query, ZoneSet zones)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(zones);
        if (!query.IsQuery) return null; // never answer a response: no loops between servers
        var response = query.CreateResponseInstance();
        response.IsRecursionAllowed = false;
        response.AnswerRecords.Clear();
        response.AuthorityRecords.Clear();
        response.AdditionalRecords.Clear();
        if (query.IsEDnsEnabled)
        {
            // Our own OPT record: our payload size, the DO bit copied (RFC 3225), no options echoed.
            response.EDnsOptions = new OptRecord(MaxUdpPayload) { IsDnsSecOk = query.EDnsOptions!.IsDnsSecOk };
            if (query.EDnsOptions!.Version != 0)
            {
                response.ReturnCode = ReturnCode.BadVersion;
                return response;
            }
        }

        if (query.OperationCode != OperationCode.Query)
        {
            response.ReturnCode = ReturnCode.NotImplemented;
            return response;
        }

        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
            return response;
        }

        var question = query.Questions[0];
        var zone = zones.Find(question.Name);
        if (zone is null || question.RecordClass is not (RecordClass.INet or RecordClass.Any) || question.RecordType is RecordType.Axfr or RecordType.Ixfr)
        {
            response.ReturnCode = ReturnCode.Refused;
            return response;
        }

        response.IsAuthoritiveAnswer = true;
        response.ReturnCode = ReturnCode.NoError;
        var name = question.Name;
        for (int hop = 0; ; hop++)
        {
            var records = zone.RecordsAt(name);
            if (records is null)
            {
                if (!zone.Exists(name)) response.ReturnCode = ReturnCode.NxDomain;
                response.AuthorityRecords.Add(zone.NegativeSoa);
                return response;
            }

            int before = response.AnswerRecords.Count;
            foreach (var record in records)
            {
                if (record.RecordType == question.RecordType || question.RecordType == RecordType.Any) response.AnswerRecords.Add(record);
            }

            if (response.AnswerRecords.Count > before) return response;
            if (question.RecordType != RecordType.CName && records is [CNameRecord cname])
            {
                response.AnswerRecords.Add(cname);
                // Follow the alias through the zones this node serves (the closest enclosing one each
                // time); a client resolves the rest itself.
                var next = zones.Find(cname.CanonicalName);
                if (hop + 1 >= MaxCnameChain || next is null) return response;
                zone = next;
                name = cname.CanonicalName;
                continue;
            }

            response.AuthorityRecords.Add(zone.NegativeSoa); // NODATA
            return response;
        }
    }

    /// <summary>The most bytes an answer to <paramref name="query"/> may have over UDP: 512 without EDNS, else the client's size within [512, <see cref="MaxUdpPayload"/>].</summary>
    public static int UdpLimit(DnsMessage query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.EDnsOptions is { } edns ? Math.Clamp((int)edns.UdpPayloadSize, 512, MaxUdpPayload) : 512;
    }
}
