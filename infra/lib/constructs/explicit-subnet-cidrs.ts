import type * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * Gives every subnet the CIDR written in the configuration instead of letting CDK carve them.
 * CDK's automatic carving renumbers subnets when the AZ count changes, which is what made the seed's
 * self-mutating update fail with "The CIDR ... conflicts with another subnet": explicit blocks never move.
 */
export class ExplicitSubnetCidrs implements ec2.IIpAddresses {
  constructor(
    private readonly vpcCidr: string,
    /** subnet group name (as in subnetConfiguration) → one CIDR per AZ, in AZ order */
    private readonly cidrsByGroup: Readonly<Record<string, readonly string[]>>,
    private readonly availabilityZones: readonly string[],
  ) {}

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.vpcCidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    return {
      allocatedSubnets: input.requestedSubnets.map((subnet) => {
        const group = subnet.configuration.name;
        const index = this.availabilityZones.indexOf(subnet.availabilityZone);
        const cidr = this.cidrsByGroup[group]?.[index];
        if (cidr === undefined) {
          throw new Error(
            `pipewarden: vpc: no CIDR for subnet group "${group}" in ${subnet.availabilityZone}; give one per availability zone`,
          );
        }
        return { cidr };
      }),
    };
  }
}
